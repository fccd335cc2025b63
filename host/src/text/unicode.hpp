// Unicode helpers over ICU: UTF-8/UTF-16 conversion, NFC, grapheme clusters. Offsets in the text
// engine are UTF-16 code units unless a name says otherwise, as the networks' own libraries use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::text {

/// The text as UTF-16, or nothing when `utf8` is not well-formed UTF-8.
std::optional<std::u16string> to_utf16(std::string_view utf8);
/// The same into `out`, whose storage is reused; false (and `out` unspecified) when `utf8` is
/// not well-formed.
bool to_utf16(std::string_view utf8, std::u16string& out);
std::string to_utf8(std::u16string_view utf16);

/// Unicode Normalization Form C.
std::u16string nfc(std::u16string_view text);
/// The text in Normalization Form C, or nothing when it already is.
std::optional<std::u16string> nfc_if_changed(std::u16string_view text);

/// Extended grapheme clusters (what a reader sees as one character), by Unicode 17.0's rules
/// (text/grapheme.hpp), as the networks' newer ICU counts them.
size_t grapheme_count(std::u16string_view text);
/// Extended grapheme clusters by the system ICU's rules (Unicode 15 with Debian 12's ICU 72):
/// the Unicode version Mastodon's servers count with (Ruby's String#each_grapheme_cluster).
size_t system_grapheme_count(std::u16string_view text);
size_t code_point_count(std::u16string_view text);

/// UTF-8 length of a UTF-16 range (for byte offsets).
size_t utf8_length(std::u16string_view text);

/// The UTF-8 offset of every UTF-16 offset of `text` (size() + 1 entries), for turning many
/// UTF-16 positions into byte offsets at once.
std::vector<size_t> utf8_offsets(std::u16string_view text);

/// The UTF-16 offset of the grapheme boundary at or before `offset`, by the same rules.
size_t grapheme_floor(std::u16string_view text, size_t offset);

}  // namespace herald::text
