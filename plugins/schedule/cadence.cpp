#include "schedule/cadence.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <sstream>

namespace herald::schedule {
namespace {

using zoned::kDay;
using zoned::kMinute;

constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<const char*, 7> kLongNames = {"monday", "tuesday",  "wednesday", "thursday",
                                                   "friday", "saturday", "sunday"};

/// Reads `n` ASCII digits of `s` from `at` (moving it past them) into `out`.
bool digits(std::string_view s, size_t& at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k, ++at) {
    if (s[at] < '0' || s[at] > '9') return false;
    out = out * 10 + (s[at] - '0');
  }
  return true;
}

std::optional<int> day_index(const std::string& word) {
  for (int i = 0; i < 7; ++i)
    if (word == kDayNames[static_cast<size_t>(i)] || word == kLongNames[static_cast<size_t>(i)])
      return i;
  return std::nullopt;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, separator))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const date::time_zone* zone_for(const Situation& s, const std::string& name) {
  if (!name.empty()) return zoned::find_zone(name);
  return s.audiences.empty() ? zoned::find_zone("UTC") : s.audiences.front().zone;
}

std::string percent(double share) {
  return std::to_string(static_cast<int>(std::lround(share * 100))) + "%";
}

}  // namespace

std::optional<uint8_t> parse_days(const std::vector<std::string>& words, std::string& error) {
  uint8_t mask = 0;
  for (const std::string& raw : words)
    for (const std::string& part : split(lower(raw), ',')) {
      if (part == "daily" || part == "every day") {
        mask |= kEveryDay;
      } else if (part == "weekdays") {
        mask |= 0x1f;
      } else if (part == "weekends") {
        mask |= 0x60;
      } else if (size_t dash = part.find('-'); dash != std::string::npos) {
        auto from = day_index(part.substr(0, dash));
        auto to = day_index(part.substr(dash + 1));
        if (!from || !to) {
          error = "cannot read the days '" + part + "'; write mon-fri";
          return std::nullopt;
        }
        for (int d = *from;; d = (d + 1) % 7) {
          mask |= static_cast<uint8_t>(1u << d);
          if (d == *to) break;
        }
      } else if (auto day = day_index(part)) {
        mask |= static_cast<uint8_t>(1u << *day);
      } else {
        error = "unknown day '" + part +
                "'; use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, daily, weekdays "
                "or weekends";
        return std::nullopt;
      }
    }
  return mask;
}

std::string describe_days(uint8_t days) {
  if (days == kEveryDay) return "every day";
  if (days == 0x1f) return "mon-fri";
  if (days == 0x60) return "sat-sun";
  std::string out;
  for (int d = 0; d < 7; ++d)
    if (days & (1u << d))
      out += (out.empty() ? "" : ",") + std::string(kDayNames[static_cast<size_t>(d)]);
  return out.empty() ? "no day" : out;
}

std::optional<int> parse_clock(const std::string& text, bool allow_end_of_day) {
  // H:MM or HH:MM
  const size_t colon = text.find(':');
  if (colon != 1 && colon != 2) return std::nullopt;
  size_t at = 0;
  int hours = 0, minutes = 0;
  if (!digits(text, at, colon, hours) || text[at++] != ':' || !digits(text, at, 2, minutes) ||
      at != text.size())
    return std::nullopt;
  if (allow_end_of_day && hours == 24 && minutes == 0) return 1440;
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::string format_clock(int minute) {
  auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return two(minute / 60) + ":" + two(minute % 60);
}

bool Hours::contains(int minute) const {
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;
}

std::string Hours::describe() const {
  return format_clock(start) + "-" + format_clock(end);
}

std::optional<Hours> parse_hours(const std::string& text, std::string& error) {
  size_t dash = text.find('-');
  std::optional<int> start, end;
  if (dash != std::string::npos) {
    start = parse_clock(text.substr(0, dash));
    end = parse_clock(text.substr(dash + 1), true);
  }
  if (!start || !end) {
    error = "cannot read the hours '" + text + "'; write 08:00-20:00 (or 22:00-02:00 overnight)";
    return std::nullopt;
  }
  if (*start == *end) {
    error = "the hours '" + text + "' allow no time at all";
    return std::nullopt;
  }
  return Hours{*start, *end == 1440 && *start == 0 ? 1440 : *end};
}

std::optional<std::vector<Slot>> parse_slots(const std::string& text, std::string& error) {
  std::vector<std::string> words = split(text, ' ');
  if (words.size() < 2) {
    error = "cannot read the slot '" + text + "'; write 'weekdays 09:00 17:00' or 'mon,thu 12:30 " +
            "Europe/London'";
    return std::nullopt;
  }
  std::string zone;
  const std::string& last = words.back();
  if (!parse_clock(last) && (last.find('/') != std::string::npos || last == "UTC")) {
    zone = last;
    words.pop_back();
    if (!zoned::find_zone(zone)) {
      error = "unknown time zone '" + zone + "' in the slot '" + text + "'";
      return std::nullopt;
    }
  }
  std::optional<uint8_t> days = parse_days({words.front()}, error);
  if (!days) return std::nullopt;
  std::vector<Slot> out;
  for (size_t i = 1; i < words.size(); ++i) {
    std::optional<int> minute = parse_clock(words[i]);
    if (!minute) {
      error = "cannot read the time '" + words[i] + "' in the slot '" + text + "'; write 09:00";
      return std::nullopt;
    }
    out.push_back({*days, *minute, zone, text});
  }
  if (out.empty()) {
    error = "the slot '" + text + "' names no time of day";
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> parse_local(const std::string& text) {
  // YYYY-MM-DD, optionally followed by T or a space and HH:MM
  size_t at = 0;
  int year = 0, month = 0, day_of_month = 0, hours = 0, minutes = 0;
  if (!digits(text, at, 4, year) || at == text.size() || text[at++] != '-' ||
      !digits(text, at, 2, month) || at == text.size() || text[at++] != '-' ||
      !digits(text, at, 2, day_of_month))
    return std::nullopt;
  if (at != text.size()) {
    if (text[at] != 'T' && text[at] != ' ') return std::nullopt;
    ++at;
    if (!digits(text, at, 2, hours) || at == text.size() || text[at++] != ':' ||
        !digits(text, at, 2, minutes) || at != text.size())
      return std::nullopt;
  }
  date::year_month_day day{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day_of_month)}};
  if (!day.ok() || hours > 23 || minutes > 59) return std::nullopt;
  return static_cast<int64_t>(date::local_days{day}.time_since_epoch().count()) * kDay +
         (hours * 60 + minutes) * kMinute;
}

std::optional<int> parse_month_day(const std::string& text) {
  // MM-DD
  size_t at = 0;
  int month = 0, day = 0;
  if (!digits(text, at, 2, month) || at == text.size() || text[at++] != '-' ||
      !digits(text, at, 2, day) || at != text.size())
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return month * 100 + day;
}

bool Blackout::applies_to(const std::string& account) const {
  return accounts.empty() || std::find(accounts.begin(), accounts.end(), account) != accounts.end();
}

std::string Blackout::describe() const {
  std::string what;
  switch (kind) {
    case Kind::window:
      what = zoned::format_local(from_local) + " to " + zoned::format_local(to_local);
      break;
    case Kind::weekly: what = describe_days(days) + " " + hours.describe(); break;
    case Kind::yearly: {
      auto day = [](int month_day) {
        return format_clock(month_day / 100 * 60 + month_day % 100).replace(2, 1, "-");
      };
      what = day(from_day) + " to " + day(to_day) + " every year";
      break;
    }
  }
  return "blackout '" + name + "' (" + what + (zone.empty() ? "" : " " + zone) + ")";
}

std::string Rules::impossible(const std::vector<const Blackout*>& blackouts) const {
  if (days == 0) return "no day is allowed";
  if (per_day < 0) return "per_day cannot be negative";
  if (min_gap_ms < 0) return "min_gap cannot be negative";
  if (!slots.empty()) {
    bool any = std::any_of(slots.begin(), slots.end(), [&](const Slot& slot) {
      return (slot.days & days) != 0 && (!slot.zone.empty() || hours.contains(slot.minute));
    });
    if (!any)
      return "no slot falls on an allowed day within the allowed hours (" + describe_days(days) +
             " " + hours.describe() + ")";
  }
  // A weekly blackout of every account that covers all the allowed hours of every allowed day
  // leaves nothing.
  for (const Blackout* b : blackouts) {
    if (b->kind != Blackout::Kind::weekly || !b->accounts.empty() || !b->zone.empty()) continue;
    bool covers_all = (b->days & days) == days && b->hours.whole_day();
    if (covers_all) return "the " + b->describe() + " covers every allowed day";
  }
  return "";
}

double coverage(const Situation& s, int64_t at) {
  if (s.audiences.empty()) return 1;
  double covered = 0;
  for (const AudienceZone& a : s.audiences) {
    zoned::LocalParts local = zoned::local_parts(zoned::to_local_ms(at, *a.zone));
    if ((s.rules->days & (1u << local.weekday)) && s.rules->hours.contains(local.minute))
      covered += a.share;
  }
  return covered;
}

const Blackout* blackout_at(const Situation& s, int64_t at) {
  for (const Blackout* b : s.blackouts) {
    const date::time_zone* zone = zone_for(s, b->zone);
    if (!zone) continue;
    const int64_t local = zoned::to_local_ms(at, *zone);
    switch (b->kind) {
      case Blackout::Kind::window:
        if (local >= b->from_local && local < b->to_local) return b;
        break;
      case Blackout::Kind::weekly: {
        zoned::LocalParts p = zoned::local_parts(local);
        if ((b->days & (1u << p.weekday)) && b->hours.contains(p.minute)) return b;
        break;
      }
      case Blackout::Kind::yearly: {
        zoned::LocalParts p = zoned::local_parts(local);
        int day = p.month * 100 + p.day_of_month;
        bool inside = b->from_day <= b->to_day ? day >= b->from_day && day <= b->to_day
                                               : day >= b->from_day || day <= b->to_day;
        if (inside) return b;
        break;
      }
    }
  }
  return nullptr;
}

std::vector<std::string> problems(const Situation& s, int64_t at) {
  std::vector<std::string> out;
  const Rules& r = *s.rules;
  if (const Blackout* b = blackout_at(s, at)) out.push_back("it falls in the " + b->describe());
  if (coverage(s, at) <= 0) {
    std::string zones;
    for (const AudienceZone& a : s.audiences) zones += (zones.empty() ? "" : ", ") + a.name;
    out.push_back("it is outside the allowed days and hours (" + describe_days(r.days) + " " +
                  r.hours.describe() + " in " + (zones.empty() ? "UTC" : zones) + ")");
  }
  const date::time_zone* main = zone_for(s, "");
  if (r.per_day > 0 && main) {
    const int64_t day = zoned::local_parts(zoned::to_local_ms(at, *main)).day;
    int64_t same_day = 0;
    for (int64_t other : s.others)
      if (zoned::local_parts(zoned::to_local_ms(other, *main)).day == day) ++same_day;
    if (same_day >= r.per_day)
      out.push_back("the account already has " + std::to_string(same_day) + " post(s) planned on " +
                    zoned::format_local(zoned::to_local_ms(at, *main)).substr(0, 10) +
                    " (per_day " + std::to_string(r.per_day) + ")");
  }
  if (r.min_gap_ms > 0) {
    for (int64_t other : s.others)
      if (std::llabs(other - at) < r.min_gap_ms) {
        int64_t minutes = std::llabs(other - at) / kMinute;
        out.push_back("another post of the account is planned " + std::to_string(minutes) +
                      " minute(s) " + (other >= at ? "after" : "before") + " it, at " +
                      zoned::format_in_zone(other, *main) + " (min_gap " +
                      std::to_string(r.min_gap_ms / kMinute) + " minutes)");
        break;
      }
  }
  return out;
}

std::optional<Choice> next_free(const Situation& s, int horizon_days) {
  const Rules& r = *s.rules;
  const date::time_zone* main = zone_for(s, "");
  if (!main) return std::nullopt;
  std::set<int64_t> candidates;
  std::vector<std::pair<int64_t, std::string>> labels;  // slot instants and how they were named
  const int64_t horizon = s.now_ms + horizon_days * kDay;
  std::vector<const date::time_zone*> zones;
  for (const AudienceZone& a : s.audiences) zones.push_back(a.zone);
  if (zones.empty()) zones.push_back(main);
  auto each_day = [&](const date::time_zone* zone, auto&& visit) {
    const int64_t first = zoned::local_parts(zoned::to_local_ms(s.now_ms, *zone)).day - 1;
    for (int64_t day = first; day <= first + horizon_days + 1; ++day)
      visit(day, static_cast<int>(zoned::local_parts(day * kDay).weekday));
  };
  auto add_local = [&](const date::time_zone* zone, int64_t local_ms, const std::string& label) {
    zoned::LocalResolution at =
        zoned::resolve_local(local_ms, *zone, zoned::DstPolicy::shift_forward);
    if (!at.ok || at.utc_ms < s.now_ms || at.utc_ms > horizon) return;
    candidates.insert(at.utc_ms);
    if (!label.empty()) labels.emplace_back(at.utc_ms, label);
  };
  if (!s.slots.empty()) {
    for (const Slot& slot : s.slots) {
      const date::time_zone* zone = zone_for(s, slot.zone);
      if (!zone) continue;
      each_day(zone, [&](int64_t day, int weekday) {
        if (slot.days & (1u << weekday))
          add_local(zone, day * kDay + slot.minute * kMinute,
                    slot.text + (slot.zone.empty() ? " (" + std::string(zone->name()) + ")" : ""));
      });
    }
  } else {
    // The earliest free instant is now, the end of a gap after another post, the start of the
    // allowed hours or of a day, or the end of a blackout.
    candidates.insert(s.now_ms);
    for (int64_t other : s.others)
      if (other + r.min_gap_ms >= s.now_ms) candidates.insert(other + r.min_gap_ms);
    for (const date::time_zone* zone : zones)
      each_day(zone, [&](int64_t day, int) {
        add_local(zone, day * kDay, "");
        add_local(zone, day * kDay + r.hours.start * kMinute, "");
      });
    for (const Blackout* b : s.blackouts) {
      const date::time_zone* zone = zone_for(s, b->zone);
      if (!zone) continue;
      if (b->kind == Blackout::Kind::window) add_local(zone, b->to_local, "");
      if (b->kind == Blackout::Kind::weekly)
        each_day(zone, [&](int64_t day, int) {
          add_local(zone, day * kDay + b->hours.end * kMinute, "");
        });
    }
  }
  std::optional<int64_t> first_free;
  int64_t best = 0;
  double best_coverage = -1;
  for (int64_t at : candidates) {
    if (first_free && at >= *first_free + 7 * kDay) break;
    if (!problems(s, at).empty()) continue;
    // A slot holds one post.
    if (!s.slots.empty() && std::binary_search(s.others.begin(), s.others.end(), at)) continue;
    if (!first_free) first_free = at;
    double c = coverage(s, at);
    if (c > best_coverage + 1e-9) {
      best = at;
      best_coverage = c;
    }
  }
  if (!first_free) return std::nullopt;
  Choice choice;
  choice.at_ms = best;
  std::string slot;
  for (const auto& [at, label] : labels)
    if (at == best) {
      slot = label;
      break;
    }
  choice.note =
      (slot.empty() ? (best == s.now_ms ? std::string("now: the cadence allows it")
                                        : std::string("the first time the cadence allows"))
                    : "slot " + slot) +
      ", " + zoned::format_in_zone(best, *main);
  if (s.audiences.size() > 1) {
    choice.note += "; covers " + percent(best_coverage) + " of the audience (";
    for (size_t i = 0; i < s.audiences.size(); ++i) {
      const AudienceZone& a = s.audiences[i];
      zoned::LocalParts p = zoned::local_parts(zoned::to_local_ms(best, *a.zone));
      bool in = (r.days & (1u << p.weekday)) && r.hours.contains(p.minute);
      choice.note += (i ? ", " : "") + a.name + " " + percent(a.share) + " at " +
                     format_clock(p.minute) + (in ? "" : " (outside hours)");
    }
    choice.note += ")";
  }
  return choice;
}

}  // namespace herald::schedule
