// LinkedIn's "little" text format, header-only so that the linkedin publisher uses the same
// escaping as `herald text --network linkedin`.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace herald::text {

/// LinkedIn's "little" text format: the reserved characters \ | { } @ [ ] ( ) < > # * _ ~
/// backslash-escaped, so that LinkedIn shows the text as written instead of cutting it at the
/// first one.
inline std::string escape_little_text(std::string_view utf8) {
  static constexpr auto reserved = [] {
    std::array<bool, 256> table{};
    for (char c : std::string_view("\\|{}@[]()<>#*_~")) table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  std::string out;
  out.reserve(utf8.size() + utf8.size() / 8);
  for (char c : utf8) {
    if (reserved[static_cast<unsigned char>(c)]) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace herald::text
