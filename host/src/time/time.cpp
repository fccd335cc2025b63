#include "time/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <regex>
#include <sstream>

namespace herald {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using zoned::find_zone;

}  // namespace

bool is_known_zone(const std::string& zone) {
  return find_zone(zone) != nullptr;
}

Result<ZonedInstant> parse_time(const std::string& text, const std::string& default_zone,
                                DstPolicy policy) {
  static const std::regex pattern(
      R"(^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+\-/]*)?\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return Status(ErrorCode::invalid_argument,
                  "cannot read the time '" + text +
                      "'; write 2026-12-01T09:00:00Z, 2026-12-01T09:00+01:00 or "
                      "'2026-12-01 09:00 America/New_York'");
  auto number = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  date::year_month_day day{date::year{number(1)}, date::month{static_cast<unsigned>(number(2))},
                           date::day{static_cast<unsigned>(number(3))}};
  if (!day.ok() || number(4) > 23 || number(5) > 59 || number(6) > 59)
    return Status(ErrorCode::invalid_argument, "'" + text + "' is not a real date and time");
  auto local = date::local_days{day} + std::chrono::hours{number(4)} +
               std::chrono::minutes{number(5)} + seconds{number(6)};
  std::string suffix = m[7].matched ? m[7].str() : "";

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
