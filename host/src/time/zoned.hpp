// Local wall-clock time in an IANA zone, with an explicit policy for DST gaps and overlaps. Used
// by the host (reading --at) and by the schedule plugin (slots, quiet hours, daily caps), so both
// resolve a local time the same way. Depends only on date/tz.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace herald::zoned {

/// What to do with a local time that a DST change skips (a gap) or repeats (an overlap).
enum class DstPolicy {
  reject,         // refuse both
  shift_forward,  // gap: move forward by the gap (02:30 -> 03:30); overlap: the first one
  earliest,       // gap: the instant the clocks change (03:00); overlap: the first one
  latest,         // gap: the instant the clocks change (03:00); overlap: the second one
};

std::optional<DstPolicy> parse_dst_policy(std::string_view text);
std::string_view to_string(DstPolicy policy);
/// "reject, shift_forward, earliest or latest", for error messages.
const char* dst_policy_names();

/// The zone called `name`, or null if the system's time zone database does not know it.
const date::time_zone* find_zone(std::string_view name);

constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 86'400'000;

/// A local time as wall-clock milliseconds since 1970-01-01 00:00 local (no zone applied).
struct LocalResolution {
  bool ok = false;
  int64_t utc_ms = 0;
  std::string note;   // what the policy did, or "" for an ordinary time
  std::string error;  // why it was refused (policy reject)
};

/// The instant a local time in `zone` stands for, following `policy` in gaps and overlaps.
LocalResolution resolve_local(int64_t local_ms, const date::time_zone& zone, DstPolicy policy);

/// Wall-clock milliseconds (as above) of an instant in `zone`.
int64_t to_local_ms(int64_t utc_ms, const date::time_zone& zone);

/// The parts of a local time that cadence rules look at.
struct LocalParts {
  int64_t day = 0;  // days since 1970-01-01 (local)
  int weekday = 0;  // 0 Monday .. 6 Sunday
  int minute = 0;   // minute of the day, 0..1439
  int month = 1;    // 1..12
  int day_of_month = 1;
};
LocalParts local_parts(int64_t local_ms);

/// "2026-03-08 02:30" for wall-clock milliseconds.
/// Whether an instant (or local time) in milliseconds lies in years 1 to 9999, the range the
/// formatting functions render; a value outside it (a damaged row, say) is rendered by
/// unformattable() instead.
bool formattable(int64_t ms);
/// "(time out of range: N ms)".
std::string unformattable(int64_t ms);

std::string format_local(int64_t local_ms);
/// "2026-03-08 03:30 EDT": an instant as read in `zone`.
std::string format_in_zone(int64_t utc_ms, const date::time_zone& zone);

}  // namespace herald::zoned
