#include "time/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <sstream>

namespace herald {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using zoned::find_zone;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// Reads exactly `n` ASCII digits at `at` into `out`.
bool digits(std::string_view s, size_t& at, int n, int& out) {
  if (at + static_cast<size_t>(n) > s.size()) return false;
  out = 0;
  for (int k = 0; k < n; ++k) {
    if (!is_digit(s[at])) return false;
    out = out * 10 + (s[at++] - '0');
  }
  return true;
}

struct TimeText {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string suffix;  // "", "Z", an offset (+01:00, -0500) or a zone name
};

/// YYYY-MM-DD[T ]HH:MM[:SS], then optionally (after spaces) Z, an offset or a zone name; spaces
/// around the whole are allowed.
std::optional<TimeText> read_time_text(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  size_t end = s.size();
  while (end > i && is_space(s[end - 1])) --end;
  s = s.substr(0, end);
  TimeText t;
  if (!digits(s, i, 4, t.year) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!digits(s, i, 2, t.month) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!digits(s, i, 2, t.day) || i >= s.size() || (s[i] != 'T' && s[i] != ' ')) return std::nullopt;
  ++i;
  if (!digits(s, i, 2, t.hour) || i >= s.size() || s[i++] != ':') return std::nullopt;
  if (!digits(s, i, 2, t.minute)) return std::nullopt;
  if (i < s.size() && s[i] == ':' && !digits(s, ++i, 2, t.second)) return std::nullopt;
  while (i < s.size() && is_space(s[i])) ++i;
  std::string_view suffix = s.substr(i);
  if (suffix.empty() || suffix == "Z") {
    t.suffix = suffix;
    return t;
  }
  if (suffix[0] == '+' || suffix[0] == '-') {
    size_t j = 1;
    int hours = 0, minutes = 0;
    if (!digits(suffix, j, 2, hours)) return std::nullopt;
    if (j < suffix.size() && suffix[j] == ':') ++j;
    if (!digits(suffix, j, 2, minutes) || j != suffix.size()) return std::nullopt;
  } else {
    if (!is_letter(suffix[0])) return std::nullopt;
    for (char c : suffix)
      if (!is_letter(c) && !is_digit(c) && c != '_' && c != '+' && c != '-' && c != '/')
        return std::nullopt;
  }
  t.suffix = suffix;
  return t;
}

}  // namespace

bool is_known_zone(const std::string& zone) {
  return find_zone(zone) != nullptr;
}

Result<ZonedInstant> parse_time(const std::string& text, const std::string& default_zone,
                                DstPolicy policy) {
  std::optional<TimeText> t = read_time_text(text);
  if (!t)
    return Status(ErrorCode::invalid_argument,
                  "cannot read the time '" + text +
                      "'; write 2026-12-01T09:00:00Z, 2026-12-01T09:00+01:00 or "
                      "'2026-12-01 09:00 America/New_York'");
  date::year_month_day day{date::year{t->year}, date::month{static_cast<unsigned>(t->month)},
                           date::day{static_cast<unsigned>(t->day)}};
  if (!day.ok() || t->hour > 23 || t->minute > 59 || t->second > 59)
    return Status(ErrorCode::invalid_argument, "'" + text + "' is not a real date and time");
  auto local = date::local_days{day} + std::chrono::hours{t->hour} +
               std::chrono::minutes{t->minute} + seconds{t->second};
  const std::string& suffix = t->suffix;

  ZonedInstant out;
  if (suffix == "Z") {
    out.zone = "UTC";
    out.utc_ms = std::chrono::duration_cast<milliseconds>(local.time_since_epoch()).count();
    return out;
  }
  if (!suffix.empty() && (suffix[0] == '+' || suffix[0] == '-')) {
    std::string digits;
    for (char c : suffix)
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    int offset_minutes = std::stoi(digits.substr(0, 2)) * 60 + std::stoi(digits.substr(2, 2));
    if (suffix[0] == '-') offset_minutes = -offset_minutes;
    out.zone = suffix;
    out.utc_ms = std::chrono::duration_cast<milliseconds>(
                     (local - std::chrono::minutes{offset_minutes}).time_since_epoch())
                     .count();
    return out;
  }
  if (suffix.empty() && default_zone.empty())
    return Status(ErrorCode::invalid_argument,
                  "'" + text +
                      "' has no time zone and the account has none; add one "
                      "('2026-12-01 09:00 America/New_York' or an offset), or give the account a "
                      "timezone");
  const std::string zone_name = suffix.empty() ? default_zone : suffix;
  const date::time_zone* zone = find_zone(zone_name);
  if (!zone)
    return Status(ErrorCode::invalid_argument,
                  "unknown time zone '" + zone_name +
                      "'; use an IANA name such as Europe/Oslo or America/New_York");
  zoned::LocalResolution resolved = zoned::resolve_local(
      std::chrono::duration_cast<milliseconds>(local.time_since_epoch()).count(), *zone, policy);
  if (!resolved.ok) return Status(ErrorCode::invalid_argument, resolved.error);
  out.zone = zone_name;
  out.utc_ms = resolved.utc_ms;
  out.dst_note = std::move(resolved.note);
  return out;
}

std::string format_time(int64_t utc_ms, const std::string& zone_name) {
  if (!zoned::formattable(utc_ms)) return zoned::unformattable(utc_ms);
  date::sys_time<milliseconds> instant{milliseconds{utc_ms}};
  auto floored = date::floor<seconds>(instant);
  const date::time_zone* zone = zone_name.empty() ? nullptr : find_zone(zone_name);
  if (!zone) return date::format("%Y-%m-%d %H:%M UTC", floored);
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(zone, floored));
}

std::string format_utc(int64_t utc_ms) {
  if (!zoned::formattable(utc_ms)) return zoned::unformattable(utc_ms);
  date::sys_time<milliseconds> instant{milliseconds{utc_ms}};
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<seconds>(instant));
}

}  // namespace herald
