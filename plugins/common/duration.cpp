#include "common/duration.hpp"

#include <algorithm>
#include <ctime>

namespace herald::builtin {

std::optional<int64_t> parse_duration(const std::string& text, bool allow_zero) {
  if (text.empty()) return std::nullopt;
  if (allow_zero && text == "0") return 0;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > 10'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    switch (text[i++]) {
      case 's': total += value * 1000; break;
      case 'm': total += value * 60'000; break;
      case 'h': total += value * 3'600'000; break;
      case 'd': total += value * 86'400'000; break;
      default: return std::nullopt;
    }
  }
  return total > 0 || allow_zero ? std::optional<int64_t>(total) : std::nullopt;
}

std::string format_duration(int64_t ms) {
  int64_t minutes = ms / 60'000;
  std::string out;
  if (minutes >= 24 * 60 && minutes % (24 * 60) == 0) return std::to_string(minutes / 1440) + "d";
  if (minutes >= 60) out += std::to_string(minutes / 60) + "h";
  if (minutes % 60 || out.empty()) out += std::to_string(minutes % 60) + "m";
  return out;
}

namespace {
std::string strftime_utc(int64_t ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, format, &utc);
  return buffer;
}
}  // namespace

std::string format_instant(int64_t ms) {
  return strftime_utc(ms, "%Y-%m-%d %H:%M UTC");
}

std::string format_rfc3339(int64_t ms, int fraction_digits) {
  std::string out = strftime_utc(ms, "%Y-%m-%dT%H:%M:%S");
  if (fraction_digits > 0) {
    std::string micros = std::to_string(1'000'000 + (ms % 1000) * 1000).substr(1);
    out += "." + micros.substr(0, static_cast<size_t>(std::min(fraction_digits, 6)));
  }
  return out + "Z";
}

}  // namespace herald::builtin
