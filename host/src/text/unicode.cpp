#include "text/unicode.hpp"

#include "text/grapheme.hpp"
#include "text/icu.hpp"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace herald::text {
namespace {

/// One ICU grapheme iterator per thread: creating one loads ICU's rules.
icu::BreakIterator& icu_graphemes() {
  thread_local std::unique_ptr<icu::BreakIterator> iterator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
    return U_SUCCESS(status) ? std::move(it) : nullptr;
  }();
  return *iterator;
}

}  // namespace

bool to_utf16(std::string_view utf8, std::u16string& out) {
  // UTF-16 never takes more units than UTF-8 takes bytes.
  out.resize(utf8.size());
  char16_t* units = out.data();
  size_t written = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(utf8.data());
  const auto length = static_cast<int32_t>(utf8.size());
  int32_t i = 0;
  while (i < length) {
#if defined(__SSE2__)
    // Sixteen bytes at a time: all of them are widened to UTF-16, and the ASCII ones up to the
    // first other byte kept. (`written` never passes `i`, so there is room for all sixteen.)
    if (i + 16 <= length) {
      const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
      const __m128i zero = _mm_setzero_si128();
      _mm_storeu_si128(reinterpret_cast<__m128i*>(units + written), _mm_unpacklo_epi8(chunk, zero));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(units + written + 8),
                       _mm_unpackhi_epi8(chunk, zero));
      const int high = _mm_movemask_epi8(chunk);
      const int ascii = high == 0 ? 16 : __builtin_ctz(static_cast<unsigned>(high));
      written += static_cast<size_t>(ascii);
      i += ascii;
      if (ascii == 16) continue;
    } else if (bytes[i] < 0x80) {
      units[written++] = bytes[i++];
      continue;
    }
#else
    if (bytes[i] < 0x80) {
      units[written++] = bytes[i++];
      continue;
    }
#endif
    // Two- and three-byte forms, well-formed ones only (Unicode's table 3-7: no overlong forms,
    // no surrogates); anything else goes through ICU's checks.
    const uint8_t lead = bytes[i];
    if (lead >= 0xC2 && lead <= 0xDF && i + 1 < length && (bytes[i + 1] & 0xC0) == 0x80) {
      units[written++] = static_cast<char16_t>(((lead & 0x1F) << 6) | (bytes[i + 1] & 0x3F));
      i += 2;
      continue;
    }
    if (lead >= 0xE0 && lead <= 0xEF && i + 2 < length && (bytes[i + 1] & 0xC0) == 0x80 &&
        (bytes[i + 2] & 0xC0) == 0x80) {
      const auto c = static_cast<char16_t>(((lead & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) |
                                           (bytes[i + 2] & 0x3F));
      if (c >= 0x800 && !U16_IS_SURROGATE(c)) {
        units[written++] = c;
        i += 3;
        continue;
      }
    }
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;  // ill-formed: overlong, surrogate, truncated, > U+10FFFF
    if (U_IS_BMP(c)) {
      units[written++] = static_cast<char16_t>(c);
    } else {
      units[written++] = U16_LEAD(c);
      units[written++] = U16_TRAIL(c);
    }
  }
  out.resize(written);
  return true;
}

std::optional<std::u16string> to_utf16(std::string_view utf8) {
  std::u16string out;
  if (!to_utf16(utf8, out)) return std::nullopt;
  return out;
}

std::string to_utf8(std::u16string_view utf16) {
  std::string out;
  alias(utf16).toUTF8String(out);
  return out;
}

std::optional<std::u16string> nfc_if_changed(std::u16string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::nullopt;
  icu::UnicodeString source = alias(text);
  // Only what follows the longest prefix that is surely normalized needs normalizing.
  int32_t normalized_prefix = normalizer->spanQuickCheckYes(source, status);
  if (U_FAILURE(status) || normalized_prefix == source.length()) return std::nullopt;
  icu::UnicodeString result(source, 0, normalized_prefix);
  normalizer->normalizeSecondAndAppend(result, source.tempSubString(normalized_prefix), status);
  if (U_FAILURE(status)) return std::nullopt;
  std::u16string out(result.getBuffer(), static_cast<size_t>(result.length()));
  if (out == text) return std::nullopt;
  return out;
}

std::u16string nfc(std::u16string_view text) {
  std::optional<std::u16string> changed = nfc_if_changed(text);
  return changed ? std::move(*changed) : std::u16string(text);
}

size_t grapheme_count(std::u16string_view text) {
  // Our own Unicode 17.0 rules, not the system ICU's: the networks count with a newer ICU.
  return grapheme::count(text);
}

size_t system_grapheme_count(std::u16string_view text) {
  // Two ASCII characters in a row always have a boundary between them, except CR LF, so only
  // the rest needs the break iterator.
  const size_t n = text.size();
  icu::BreakIterator* it = nullptr;
  icu::UnicodeString source;
  size_t at_iterator = n + 1;  // where the iterator stands, when it is in use
  size_t count = 0;
  for (size_t i = 0; i < n; ++count) {
    char16_t c = text[i];
    if (c < 0x80 && (i + 1 == n || text[i + 1] < 0x80)) {
      i += (c == u'\r' && i + 1 < n && text[i + 1] == u'\n') ? 2 : 1;
      continue;
    }
    if (!it) {
      it = &icu_graphemes();
      source = alias(text);
      it->setText(source);
      at_iterator = 0;
    }
    int32_t next = at_iterator == i ? it->next() : it->following(static_cast<int32_t>(i));
    i = at_iterator = static_cast<size_t>(next);
  }
  return count;
}

size_t code_point_count(std::u16string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i, ++count)
    if (U16_IS_LEAD(text[i]) && i + 1 < text.size() && U16_IS_TRAIL(text[i + 1])) ++i;
  return count;
}

size_t utf8_length(std::u16string_view text) {
  size_t bytes = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char16_t c = text[i];
    if (c < 0x80)
      bytes += 1;
    else if (c < 0x800)
      bytes += 2;
    else if (U16_IS_LEAD(c) && i + 1 < text.size() && U16_IS_TRAIL(text[i + 1])) {
      bytes += 4;
      ++i;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

std::vector<size_t> utf8_offsets(std::u16string_view text) {
  std::vector<size_t> out(text.size() + 1);
  size_t bytes = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    out[i] = bytes;
    char16_t c = text[i];
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : U16_IS_LEAD(c) ? 4 : U16_IS_TRAIL(c) ? 0 : 3;
  }
  out[text.size()] = bytes;
  return out;
}

size_t grapheme_floor(std::u16string_view text, size_t offset) {
  return grapheme::boundary_at_or_before(text, offset);
}

std::unique_ptr<icu::RegexPattern> compile_rule(const std::string& pattern, uint32_t flags) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError where;
  std::unique_ptr<icu::RegexPattern> compiled(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), flags, where, status));
  if (U_FAILURE(status)) {
    // Only a change to the rules above can get here; say where.
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(pattern);
    std::string context;
    text.tempSubString(std::max(0, std::min(where.offset, text.length()) - 60), 80)
        .toUTF8String(context);
    context +=
        " [length " + std::to_string(text.length()) + ", line " + std::to_string(where.line) + "]";
    throw std::logic_error("text rule does not compile at offset " + std::to_string(where.offset) +
                           " (" + u_errorName(status) + "): ..." + context + "...");
  }
  return compiled;
}

}  // namespace herald::text
