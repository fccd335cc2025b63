#include "text/mastodon.hpp"

#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <array>
#include <bitset>
#include <memory>
#include <stdexcept>
#include <string>

namespace herald::text::mastodon {
namespace {

/// A character class as the case-insensitive pattern reads it: the set closed over case, as
/// ICU's regex compiles it, with a table for the BMP.
class CharClass {
 public:
  explicit CharClass(const char* pattern) {
    UErrorCode status = U_ZERO_ERROR;
    set_ = std::make_unique<icu::UnicodeSet>(icu::UnicodeString(pattern, -1, US_INV), status);
    if (U_FAILURE(status)) throw std::logic_error(std::string("bad class ") + pattern);
    set_->closeOver(USET_CASE_INSENSITIVE);
    set_->removeAllStrings();
    set_->freeze();
    for (UChar32 c = 0; c < 0x10000; ++c) bmp_[static_cast<size_t>(c)] = set_->contains(c);
  }
  bool contains(UChar32 c) const {
    return c < 0x10000 ? bmp_[static_cast<size_t>(c)] : set_->contains(c);
  }

 private:
  std::unique_ptr<icu::UnicodeSet> set_;
  std::bitset<0x10000> bmp_;
};

struct Classes {
  CharClass before{"[=/\\p{L}\\p{M}\\p{Nd}_]"};  // may not come right before the `@`
  CharClass user_edge{"[a-z0-9_]"};              // a user name's first and last character
  CharClass user{"[a-z0-9_.\\-]"};               // the rest of it
  CharClass word{"[\\p{L}\\p{M}\\p{Nd}_]"};      // a domain's labels
};

const Classes& classes() {
  static const Classes compiled;
  return compiled;
}

/// The code point at `i` and its length in units (a lone surrogate is one of its own).
UChar32 at(std::u16string_view text, size_t i, size_t& length) {
  const char16_t c = text[i];
  if (U16_IS_LEAD(c) && i + 1 < text.size() && U16_IS_TRAIL(text[i + 1])) {
    length = 2;
    return U16_GET_SUPPLEMENTARY(c, text[i + 1]);
  }
  length = 1;
  return c;
}

/// The code point that ends right before `i` (i > 0).
UChar32 before(std::u16string_view text, size_t i) {
  const char16_t c = text[i - 1];
  if (U16_IS_TRAIL(c) && i >= 2 && U16_IS_LEAD(text[i - 2]))
    return U16_GET_SUPPLEMENTARY(text[i - 2], c);
  return c;
}

}  // namespace

std::vector<RemoteMention> remote_mentions(std::u16string_view text) {
  std::vector<RemoteMention> found;
  const Classes& k = classes();
  const size_t n = text.size();
  for (size_t i = text.find(u'@'); i != std::u16string_view::npos; i = text.find(u'@', i + 1)) {
    if (i > 0 && k.before.contains(before(text, i))) continue;
    // The user name: `@` is in none of its classes, so it is the whole run up to the next `@`.
    size_t j = i + 1, length = 0;
    UChar32 first = -1, last = -1;
    while (j < n) {
      const UChar32 c = at(text, j, length);
      if (!k.user.contains(c)) break;
      if (first < 0) first = c;
      last = c;
      j += length;
    }
    if (first < 0 || j >= n || text[j] != u'@' || !k.user_edge.contains(first) ||
        !k.user_edge.contains(last))
      continue;
    // The domain: labels joined by runs of `.` and `-`, as long as they go, ending in a label.
    size_t domain_end = 0;
    for (size_t d = j + 1; d < n;) {
      const UChar32 c = at(text, d, length);
      const bool word = k.word.contains(c);
      if (!word && !(c == u'.' && d > j + 1) && !(c == u'-' && d > j + 1)) break;
      d += length;
      if (word) domain_end = d;
    }
    if (domain_end == 0) continue;
    // The search goes on after the match, whether it is kept or not.
    if (domain_end - (j + 1) <= 253) found.push_back({i, j, domain_end});
    i = domain_end - 1;
  }
  return found;
}

}  // namespace herald::text::mastodon
