// Cadence rules of the schedule step, without a host: allowed days and hours, daily caps, gaps,
// weekly slots and blackouts, and the search for the next free slot. Times are read in the zones
// of the account's audience (time/zoned.hpp). See docs/scheduling.md.
#pragma once

#include "time/zoned.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::schedule {

constexpr uint8_t kEveryDay = 0x7f;  // bit 0 is Monday

/// "mon", "monday", "mon-fri", "daily", "weekdays", "weekends", or several of them.
std::optional<uint8_t> parse_days(const std::vector<std::string>& words, std::string& error);
/// "mon-fri" for a mask.
std::string describe_days(uint8_t days);
/// "09:00" -> 540; "24:00" -> 1440 only when `allow_end_of_day`.
std::optional<int> parse_clock(const std::string& text, bool allow_end_of_day = false);
std::string format_clock(int minute);

/// Allowed hours of a day, [start, end) in minutes; start > end wraps past midnight.
struct Hours {
  int start = 0;
  int end = 1440;
  bool contains(int minute) const;
  bool whole_day() const { return start == 0 && end == 1440; }
  int length() const { return start < end ? end - start : 1440 - start + end; }
  std::string describe() const;
};
/// "08:00-20:00", "22:00-02:00".
std::optional<Hours> parse_hours(const std::string& text, std::string& error);

/// A weekly slot: on these days at this minute, in `zone` (or, when empty, the account's main
/// zone: its timezone, else its first audience's).
struct Slot {
  uint8_t days = kEveryDay;
  int minute = 0;
  std::string zone;
  std::string text;  // as written, for notes
};
/// "weekdays 09:00 17:00 America/New_York" -> two slots.
std::optional<std::vector<Slot>> parse_slots(const std::string& text, std::string& error);

/// A time nothing may be published in.
struct Blackout {
  enum class Kind { window, weekly, yearly };
  std::string name;
  std::vector<std::string> accounts;  // empty: every account
  std::string zone;                   // empty: the account's main audience zone
  Kind kind = Kind::window;
  int64_t from_local = 0;  // window: wall-clock milliseconds (time/zoned.hpp), to exclusive
  int64_t to_local = 0;
  uint8_t days = kEveryDay;  // weekly
  Hours hours;
  int from_day = 0;  // yearly: month * 100 + day, both inclusive; may wrap past new year
  int to_day = 0;
  bool applies_to(const std::string& account) const;
  std::string describe() const;
};
/// "2026-12-24 00:00" -> wall-clock milliseconds.
std::optional<int64_t> parse_local(const std::string& text);
/// "12-24" -> 1224.
std::optional<int> parse_month_day(const std::string& text);

/// One account's cadence.
struct Rules {
  int64_t per_day = 0;  // posts per local day of the main audience; 0: no cap
  int64_t min_gap_ms = 0;
  uint8_t days = kEveryDay;
  Hours hours;
  std::vector<Slot> slots;
  int64_t best_slots = 0;  // also use this many suggested slots from engagement history
  bool restricts_time() const { return days != kEveryDay || !hours.whole_day(); }
  /// Why no post could ever be placed, or "" when the rules can be met.
  std::string impossible(const std::vector<const Blackout*>& blackouts) const;
};

struct AudienceZone {
  const date::time_zone* zone = nullptr;
  double share = 1;
  std::string name;
};

/// Everything the search needs about one post's account at one moment.
struct Situation {
  int64_t now_ms = 0;
  std::vector<AudienceZone> audiences;  // the first is the main one (daily caps are its days)
  std::vector<int64_t> others;          // the account's other planned instants, sorted
  const Rules* rules = nullptr;
  std::vector<Slot> slots;  // the rules' slots and any suggested ones
  std::vector<const Blackout*> blackouts;
};

/// The share of the audience for whom `at` is on an allowed day within the allowed hours.
double coverage(const Situation& s, int64_t at);
/// The blackout `at` falls in, if any.
const Blackout* blackout_at(const Situation& s, int64_t at);
/// Why `at` breaks the cadence (blackout, hours, daily cap, gap); empty when it does not.
std::vector<std::string> problems(const Situation& s, int64_t at);

struct Choice {
  int64_t at_ms = 0;
  std::string note;
};
/// The slot to take: among free candidates in the week after the first free one, the one that
/// covers most of the audience, the earliest of equals. Searches `horizon_days` ahead.
std::optional<Choice> next_free(const Situation& s, int horizon_days = 35);

}  // namespace herald::schedule
