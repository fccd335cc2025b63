// twitter-text's URL pattern (`extractUrl`) and its `validAsciiDomain`, matched by hand over UTF-16
// code units. The pattern is a backtracking regular expression; every part after the domain is
// optional, so the first match the regex engine would find is the one these functions compute
// directly: the most subdomains that still leave a domain name and a listed TLD, then the
// longest port, path and query the pattern allows. Offsets are UTF-16 code units.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::text::x::url {

/// One match of the pattern: [before, start) is the character before the URL (empty at the
/// start of the text), [start, end) the URL, with its protocol [start, domain_start), domain,
/// port and path [path_start, path_end) (empty when there is none), and query.
struct Match {
  size_t before = 0;
  size_t start = 0;
  size_t domain_start = 0;
  size_t domain_end = 0;
  size_t path_start = 0;
  size_t path_end = 0;
  size_t end = 0;
};

/// Matches the pattern in one text. It keeps the last label it read and the chain of labels
/// that followed it, so that trying every start in a long run of letters, or of labels and dots
/// (`a.a.a.a…`), stays linear.
class Finder {
 public:
  explicit Finder(std::u16string_view text) : text_(text) {}

  /// The match that starts exactly at `at` (the regex's lookingAt from `at`, with the text
  /// before `at` visible to `^`), or nothing.
  std::optional<Match> match_at(size_t at);

 private:
  static constexpr size_t npos = std::u16string_view::npos;

  std::optional<Match> url_at(size_t before, size_t start);
  size_t domain_at(size_t at);
  size_t domain_after(size_t dot);

  std::u16string_view text_;
  // The first label last read, [label_from_, label_end_), and its last `_` (npos: none).
  size_t label_from_ = npos;
  size_t label_end_ = npos;
  size_t label_underscore_ = npos;
  // The chain of labels domain_after last read: its dots are [chain_first_, chain_last_]. For
  // a dot in it, the domain ends at chain_end_ when the dot is at or before chain_good_ (the dot
  // before the last label that a TLD follows), and nowhere after it.
  size_t chain_first_ = npos;
  size_t chain_last_ = npos;
  size_t chain_good_ = npos;
  size_t chain_end_ = npos;
  // The length of the TLD (0: none) after the first label's dot, and which dot.
  size_t tld_dot_ = npos;
  size_t tld_length_ = 0;
};

/// Whether `c` may come before a URL (the pattern's `before` class): anything but ASCII letters
/// and digits, `@`, `$`, `#`, their fullwidth forms and the invalid characters.
inline bool may_precede(char16_t c) {
  if (c < 0x80)
    return !((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') ||
             c == u'@' || c == u'$' || c == u'#');
  return !(c == 0xFF20 || c == 0xFF03 || c == 0xFFFE || c == 0xFEFF || c == 0xFFFF);
}

/// Whether a match may start at `at`: the character there may precede a URL, or `at` is the
/// start of the text.
inline bool may_start_at(std::u16string_view text, size_t at) {
  return at == 0 || (at < text.size() && may_precede(text[at]));
}

/// The first `unit` in `text` from `from`, or npos: std::u16string_view::find, eight units at
/// a time.
size_t find_unit(std::u16string_view text, char16_t unit, size_t from = 0);

/// Where a match can start: each match holds a domain with a dot inside one run of host
/// characters (D, `-`, `_` and `.`) and starts with the character before the domain, or before
/// the protocol that ends where the run starts (or at the start of the text). [from, to) ranges
/// covering every such start, in order.
void candidates(std::u16string_view text, std::vector<std::pair<size_t, size_t>>& ranges);

/// Every [start, end) that twitter-text's validAsciiDomain finds in `domain`, left to right.
/// (Into `found`, which is cleared first.)
void ascii_domains(std::u16string_view domain, std::vector<std::pair<size_t, size_t>>& found);

/// Whether `url` (a URL the pattern matched) is a t.co link; `end` then becomes where its slug
/// and query end and `slug` the slug's length.
bool tco_link(std::u16string_view url, size_t& end, size_t& slug);

}  // namespace herald::text::x::url
