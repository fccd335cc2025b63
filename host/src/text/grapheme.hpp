// Extended grapheme clusters by the rules of Unicode 17.0 (UAX #29), over UTF-16, with our own
// tables (data/grapheme-break-17.txt), so that Herald counts as the networks' newer ICU does and
// not as the system's ICU. A lone surrogate is a code point of its own (class Other, as ICU).
//
// Example: a text's length in graphemes, and where to cut it without splitting one.
//
//   size_t length = grapheme::count(text);
//   size_t cut = grapheme::boundary_at_or_before(text, 300);
#pragma once

#include <cstddef>
#include <string_view>

namespace herald::text::grapheme {

/// The number of extended grapheme clusters in `text`; linear in its length.
size_t count(std::u16string_view text);

/// The first grapheme boundary after `from` (text.size() at the end), for any `from`.
size_t next_boundary(std::u16string_view text, size_t from);

/// Whether a grapheme boundary is at UTF-16 offset `offset` (0 and text.size() always are).
bool is_boundary(std::u16string_view text, size_t offset);

/// The grapheme boundary at or before `offset` (text.size() for an offset past the end).
size_t boundary_at_or_before(std::u16string_view text, size_t offset);

}  // namespace herald::text::grapheme
