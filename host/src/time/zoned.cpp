#include "time/zoned.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <array>

namespace herald::zoned {
namespace {

using std::chrono::milliseconds;

constexpr std::array<std::string_view, 4> kPolicyNames = {"reject", "shift_forward", "earliest",
                                                          "latest"};

date::local_time<milliseconds> as_local(int64_t local_ms) {
  return date::local_time<milliseconds>{milliseconds{local_ms}};
}

int64_t ms_of(date::sys_time<milliseconds> t) {
  return t.time_since_epoch().count();
}

std::string hh_mm(int64_t local_ms) {
  return date::format("%H:%M", date::floor<std::chrono::minutes>(as_local(local_ms)));
}

}  // namespace

std::optional<DstPolicy> parse_dst_policy(std::string_view text) {
  for (size_t i = 0; i < kPolicyNames.size(); ++i)
    if (kPolicyNames[i] == text) return static_cast<DstPolicy>(i);
  return std::nullopt;
}

std::string_view to_string(DstPolicy policy) {
  return kPolicyNames[static_cast<size_t>(policy)];
}

const char* dst_policy_names() {
  return "reject, shift_forward, earliest or latest";
}

const date::time_zone* find_zone(std::string_view name) {
  if (name.empty()) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

LocalResolution resolve_local(int64_t local_ms, const date::time_zone& zone, DstPolicy policy) {
  const auto local = as_local(local_ms);
  const date::local_info info = zone.get_info(date::floor<std::chrono::seconds>(local));
  const std::string written = format_local(local_ms);
  LocalResolution out;
  switch (info.result) {
    case date::local_info::unique:
      out.ok = true;
      out.utc_ms =
          ms_of(date::sys_time<milliseconds>{local.time_since_epoch() - info.first.offset});
      return out;
    case date::local_info::nonexistent: {
      // info.first ends and info.second begins at the instant the clocks jump.
      const int64_t change = ms_of(date::floor<milliseconds>(info.first.end));
      const int64_t before = to_local_ms(change - 1, zone) + 1;  // wall clock at the jump, old
      const int64_t after = to_local_ms(change, zone);           // and new
      std::string what = written + " does not exist in " + zone.name() + " (clocks jump from " +
                         hh_mm(before) + " to " + hh_mm(after) + ")";
      if (policy == DstPolicy::reject) {
        out.error = what + "; choose another time or a DST policy other than reject";
        return out;
      }
      out.ok = true;
      out.utc_ms =
          policy == DstPolicy::shift_forward
              ? ms_of(date::sys_time<milliseconds>{local.time_since_epoch() - info.first.offset})
              : change;
      out.note = what + "; " + std::string(to_string(policy)) + " gives " +
                 format_in_zone(out.utc_ms, zone);
      return out;
    }
    case date::local_info::ambiguous: {
      const int64_t first =
          ms_of(date::sys_time<milliseconds>{local.time_since_epoch() - info.first.offset});
      const int64_t second =
          ms_of(date::sys_time<milliseconds>{local.time_since_epoch() - info.second.offset});
      std::string what = written + " happens twice in " + zone.name() + " (" +
                         format_in_zone(first, zone) + " and " + format_in_zone(second, zone) + ")";
      if (policy == DstPolicy::reject) {
        out.error = what + "; give a UTC offset, or a DST policy other than reject";
        return out;
      }
      out.ok = true;
      out.utc_ms = policy == DstPolicy::latest ? second : first;
      out.note = what + "; " + std::string(to_string(policy)) + " gives " +
                 format_in_zone(out.utc_ms, zone);
      return out;
    }
  }
  out.error = "cannot read " + written + " in " + zone.name();
  return out;
}

int64_t to_local_ms(int64_t utc_ms, const date::time_zone& zone) {
  const auto info = zone.get_info(date::sys_time<milliseconds>{milliseconds{utc_ms}});
  return utc_ms + std::chrono::duration_cast<milliseconds>(info.offset).count();
}

LocalParts local_parts(int64_t local_ms) {
  LocalParts p;
  const auto local = as_local(local_ms);
  const auto day = date::floor<date::days>(local);
  p.day = day.time_since_epoch().count();
  p.weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
  p.minute = static_cast<int>((local_ms - p.day * kDay) / kMinute);
  const date::year_month_day ymd{day};
  p.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  p.day_of_month = static_cast<int>(static_cast<unsigned>(ymd.day()));
  return p;
}

bool formattable(int64_t ms) {
  // 0001-01-01 to 9999-12-31, with a day to spare for a zone's offset either side.
  constexpr int64_t kFirst = -62'135'596'800'000 + kDay;
  constexpr int64_t kLast = 253'402'300'799'999 - kDay;
  return ms >= kFirst && ms <= kLast;
}

std::string unformattable(int64_t ms) {
  return "(time out of range: " + std::to_string(ms) + " ms)";
}

std::string format_local(int64_t local_ms) {
  if (!formattable(local_ms)) return unformattable(local_ms);
  return date::format("%Y-%m-%d %H:%M", date::floor<std::chrono::minutes>(as_local(local_ms)));
}

std::string format_in_zone(int64_t utc_ms, const date::time_zone& zone) {
  if (!formattable(utc_ms)) return unformattable(utc_ms);
  const date::sys_time<std::chrono::minutes> instant =
      date::floor<std::chrono::minutes>(date::sys_time<milliseconds>{milliseconds{utc_ms}});
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(&zone, instant));
}

}  // namespace herald::zoned
