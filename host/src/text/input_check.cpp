#include "text/input_check.hpp"

#include <cstdint>

namespace herald {

size_t first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code_point = byte;
    if (byte >= 0xF0 && byte <= 0xF4)
      extra = 3, code_point = byte & 0x07;
    else if (byte >= 0xE0 && byte <= 0xEF)
      extra = 2, code_point = byte & 0x0F;
    else if (byte >= 0xC2 && byte <= 0xDF)
      extra = 1, code_point = byte & 0x1F;
    else if (byte >= 0x80)
      return i;
    if (text.size() - i <= extra) return i;
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[extra] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
      return i;
    i += extra + 1;
  }
  return std::string_view::npos;
}

std::string input_problem(std::string_view what, std::string_view value, size_t limit,
                          Lines lines) {
  const std::string name(what);
  if (value.size() > limit)
    return name + " is " + std::to_string(value.size()) + " bytes, more than the limit of " +
           std::to_string(limit);
  if (size_t bad = first_invalid_utf8(value); bad != std::string_view::npos)
    return name + " is not valid UTF-8 (byte " + std::to_string(bad + 1) + " of " +
           std::to_string(value.size()) + "); write it in UTF-8";
  if (value.find('\0') != std::string_view::npos) return name + " contains a NUL character";
  if (lines == Lines::one && value.find_first_of("\r\n") != std::string_view::npos)
    return name + " contains a line break; it must be one line";
  return "";
}

std::string repaired_utf8(std::string_view value, size_t limit) {
  std::string out;
  while (!value.empty()) {
    size_t bad = first_invalid_utf8(value);
    std::string_view good = value.substr(0, bad);
    out.append(good);
    if (bad == std::string_view::npos) break;
    out.append("\xEF\xBF\xBD");
    value.remove_prefix(bad + 1);
  }
  if (out.size() > limit) {
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

Status check_input(std::string_view what, std::string_view value, size_t limit, Lines lines) {
  std::string problem = input_problem(what, value, limit, lines);
  if (problem.empty()) return Status::ok();
  return Status(ErrorCode::invalid_argument, problem);
}

}  // namespace herald
