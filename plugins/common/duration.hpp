// Durations and instants as people write and read them in step settings and reasons.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace herald::builtin {

/// "90s", "30m", "4h", "2d", "1h30m" -> milliseconds; nullopt when it is not a duration.
/// A zero duration ("0s", or "0") is one only when `allow_zero`.
std::optional<int64_t> parse_duration(const std::string& text, bool allow_zero = false);
/// 5400000 -> "1h30m".
std::string format_duration(int64_t ms);
/// Unix ms -> "2026-11-22 09:00 UTC".
std::string format_instant(int64_t ms);
/// Unix ms -> "2026-11-22T09:00:00.000Z" with `fraction_digits` (0, 3 or 6) after the seconds.
std::string format_rfc3339(int64_t ms, int fraction_digits);

}  // namespace herald::builtin
