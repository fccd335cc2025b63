// The parts of twitter-text's URL pattern, each as the set of UTF-16 units it accepts, and the
// pattern's backtracking worked out part by part. twitter-text's regular expression, as X's
// JavaScript runs it (case-insensitive, over UTF-16 units):
//
//   before   [^A-Za-z0-9@＠$#＃\uFFFE\uFEFF\uFFFF] | [directional marks] | ^
//   protocol (https?://)?
//   domain   subdomain* domain-name TLD
//              subdomain    (D[_-D]*)?D\.      D: anything but punctuation, spaces, invalid
//              domain-name  (D[-D]*)?D\.          characters and directional marks
//              TLD          generic(?=L) | country(?=L) | xn--[-0-9a-z]+   L: [^0-9a-zA-Z@+-]|$
//   port     (:[0-9]+)?
//   path     (/(P*(BP*)*E | B | @P+/)*)?    P, E: path characters, those a path may end with
//              B  \((P+ | P*\(P+\)P*)\)       (balanced parentheses, one level nested)
//   query    (\?Q*R)?                        Q, R: query characters, those a query may end with
#include "text/x_url.hpp"

#include "text/x_chars.hpp"

#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bitset>
#include <memory>
#include <stdexcept>
#include <string>

namespace herald::text::x::url {
namespace {

constexpr const char* kTldData =
#include "tld_lib.yml.inc"
    ;

/// What a case-insensitive JavaScript pattern compares for unit `c`: two units match when their
/// keys are equal. JavaScript compares uppercase forms, except that a non-ASCII unit never
/// becomes ASCII (so the Kelvin sign and the long s match no ASCII letter).
char16_t key(char16_t c) {
  if (c < 0x80) return (c >= u'A' && c <= u'Z') ? static_cast<char16_t>(c + 32) : c;
  UChar32 upper = u_toupper(c);
  return upper < 0x80 || upper > 0xFFFF ? c : static_cast<char16_t>(upper);
}

/// Marks with `bit` the UTF-16 units of the ICU set `pattern` in `table`. A case-insensitive
/// set also holds every unit with the key of a member: ICU's closure over case gives the
/// candidates, JavaScript's keys decide. Surrogates count as members of a negated set, as
/// JavaScript's non-Unicode patterns match each unit of a surrogate pair on its own.
void mark(std::array<uint8_t, 0x10000>& table, const std::string& pattern, bool case_insensitive,
          uint8_t bit) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeSet set(icu::UnicodeString::fromUTF8(pattern), status);
  if (U_FAILURE(status)) throw std::logic_error("character set does not compile: " + pattern);
  if (case_insensitive) {
    icu::UnicodeSet added(set);
    added.closeOver(USET_CASE_INSENSITIVE);
    added.removeAll(set);
    if (!added.isEmpty()) {
      auto keys = std::make_unique<std::bitset<0x10000>>();
      for (int32_t r = 0; r < set.getRangeCount(); ++r)
        for (UChar32 a = set.getRangeStart(r); a <= set.getRangeEnd(r) && a <= 0xFFFF; ++a)
          keys->set(key(static_cast<char16_t>(a)));
      for (int32_t r = 0; r < added.getRangeCount(); ++r)
        for (UChar32 c = added.getRangeStart(r); c <= added.getRangeEnd(r) && c <= 0xFFFF; ++c)
          if (keys->test(key(static_cast<char16_t>(c)))) set.add(c);
    }
  }
  for (int32_t r = 0; r < set.getRangeCount(); ++r) {
    UChar32 last = std::min<UChar32>(set.getRangeEnd(r), 0xFFFF);
    for (UChar32 c = set.getRangeStart(r); c <= last; ++c) table[static_cast<size_t>(c)] |= bit;
  }
}

std::string set(const std::string& inside) {
  return "[" + inside + "]";
}

bool ascii_alnum(char16_t c) {
  return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

/// The TLDs of one list of tld_lib.yml, case-folded, as a trie over UTF-16 units.
class TldTrie {
 public:
  explicit TldTrie(std::string_view section) {
    // tld_lib.yml: "section:" lines, each followed by "- tld" lines (some quoted).
    std::string_view data(kTldData);
    std::string_view current;
    while (!data.empty()) {
      size_t end = data.find('\n');
      std::string_view line = data.substr(0, end);
      data = end == std::string_view::npos ? std::string_view() : data.substr(end + 1);
      if (!line.empty() && line.back() == ':') current = line.substr(0, line.size() - 1);
      if (current != section || line.substr(0, 2) != "- ") continue;
      std::string_view tld = line.substr(2);
      if (tld.size() > 2 && tld.front() == '\'' && tld.back() == '\'')
        tld = tld.substr(1, tld.size() - 2);
      icu::UnicodeString u = icu::UnicodeString::fromUTF8(
          icu::StringPiece(tld.data(), static_cast<int32_t>(tld.size())));
      add(std::u16string_view(reinterpret_cast<const char16_t*>(u.getBuffer()),
                              static_cast<size_t>(u.length())));
    }
  }

  /// The longest TLD at `at` after which `accept` holds, as its length, or 0.
  template <typename Accept>
  size_t longest_at(std::u16string_view text, size_t at, Accept accept) const {
    std::array<size_t, 64> ends;  // lengths of the TLDs on the way, shortest first
    size_t found = 0;
    uint32_t node = 0;
    for (size_t i = at; i < text.size() && found < ends.size(); ++i) {
      node = child(node, key(text[i]));
      if (node == 0) break;
      if (nodes_[node].ends) ends[found++] = i + 1 - at;
    }
    while (found > 0) {
      size_t length = ends[--found];
      if (accept(at + length)) return length;
    }
    return 0;
  }

 private:
  struct Node {
    std::vector<std::pair<char16_t, uint32_t>> next;  // sorted by unit
    bool ends = false;
  };

  void add(std::u16string_view tld) {
    uint32_t node = 0;
    for (char16_t c : tld) {
      c = key(c);
      uint32_t existing = child(node, c);
      if (existing != 0) {
        node = existing;
        continue;
      }
      auto& next = nodes_[node].next;
      auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(c, uint32_t{0}));
      auto created = static_cast<uint32_t>(nodes_.size());
      next.insert(it, {c, created});
      if (node == 0 && c < 0x80) ascii_root_[c] = created;
      nodes_.emplace_back();  // invalidates `next`, which is not used after this
      node = created;
    }
    nodes_[node].ends = true;
  }

  uint32_t child(uint32_t node, char16_t c) const {
    if (node == 0 && c < 0x80) return ascii_root_[c];
    const auto& next = nodes_[node].next;
    auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(c, uint32_t{0}));
    return it != next.end() && it->first == c ? it->second : 0;
  }

  std::vector<Node> nodes_{1};
  std::array<uint32_t, 0x80> ascii_root_{};  // the root's children for ASCII units
};

/// Each UTF-16 unit's classes, one bit each, and the TLD lists.
class Rules {
 public:
  Rules() {
    // Punctuation, spaces and the other characters D leaves out have no case, so D is the
    // same with or without case-insensitivity.
    mark(classes_,
         set(std::string("^") + chars::kPunct + chars::kSpaces + chars::kInvalid +
             chars::kDirectional),
         false, kDomain);
    mark(classes_,
         set(std::string("a-z") + chars::kCyrillic + R"(0-9\!\*\'\;\:\=\+\,\.)" +
             R"(\$\/\%\#\[\]\-\x{2013}\_\~\@\|\&)" + chars::kLatinAccents),
         true, kPath);
    mark(
        classes_,
        set(std::string(R"(\+\-a-z)") + chars::kCyrillic + R"(0-9\=\_\#\/)" + chars::kLatinAccents),
        true, kPathEnd);
    mark(classes_, R"([a-z0-9\!\?\*\'\@\(\)\;\:\&\=\+\$\/\%\#\[\]\-\_\.\,\~\|])", true, kQuery);
    mark(classes_, R"([a-z0-9\-\_\&\=\#\/])", true, kQueryEnd);
    mark(classes_, set(std::string("\\-a-z0-9") + chars::kLatinAccents), true, kAsciiLabel);
  }

  bool domain_char(char16_t c) const { return classes_[c] & kDomain; }      // D
  bool path_char(char16_t c) const { return classes_[c] & kPath; }          // P
  bool path_end(char16_t c) const { return classes_[c] & kPathEnd; }        // E
  bool query_char(char16_t c) const { return classes_[c] & kQuery; }        // Q
  bool query_end(char16_t c) const { return classes_[c] & kQueryEnd; }      // R
  bool ascii_label(char16_t c) const { return classes_[c] & kAsciiLabel; }  // validAsciiDomain
  /// D or a host name's separators: `-`, `_` and `.`.
  bool host_char(char16_t c) const {
    return (classes_[c] & kDomain) || c == u'-' || c == u'_' || c == u'.';
  }

  TldTrie generic{"generic"};
  TldTrie country{"country"};

 private:
  enum : uint8_t {
    kDomain = 1,
    kPath = 2,
    kPathEnd = 4,
    kQuery = 8,
    kQueryEnd = 16,
    kAsciiLabel = 32,
  };
  std::array<uint8_t, 0x10000> classes_{};
};

const Rules& rules() {
  static const Rules compiled;
  return compiled;
}

/// The TLD's look-ahead: the TLD is not followed by a letter, digit, `@`, `+` or `-`.
bool ends_tld(std::u16string_view text, size_t at) {
  if (at >= text.size()) return true;
  char16_t c = text[at];
  return !(ascii_alnum(c) || c == u'@' || c == u'+' || c == u'-');
}

/// The length of the TLD at `at`: the longest generic one, else the longest country one, each
/// followed by the look-ahead, else a punycode label; 0 when none.
size_t tld_at(const Rules& r, std::u16string_view text, size_t at) {
  auto accept = [&](size_t end) { return ends_tld(text, end); };
  if (size_t n = r.generic.longest_at(text, at, accept)) return n;
  if (size_t n = r.country.longest_at(text, at, accept)) return n;
  if (text.size() - at > 4 && key(text[at]) == u'x' && key(text[at + 1]) == u'n' &&
      text[at + 2] == u'-' && text[at + 3] == u'-') {
    size_t i = at + 4;
    while (i < text.size() && (ascii_alnum(text[i]) || text[i] == u'-')) ++i;
    if (i > at + 4) return i - at;
  }
  return 0;
}

/// Balanced parentheses at `at`, one level nested: where they end, or npos.
size_t balanced_at(const Rules& r, std::u16string_view text, size_t at) {
  const size_t n = text.size();
  if (at >= n || text[at] != u'(') return std::u16string_view::npos;
  auto run = [&](size_t i) {
    while (i < n && r.path_char(text[i])) ++i;
    return i;
  };
  size_t i = run(at + 1);
  if (i > at + 1 && i < n && text[i] == u')') return i + 1;
  if (i >= n || text[i] != u'(') return std::u16string_view::npos;
  size_t inner = run(i + 1);
  if (inner == i + 1 || inner >= n || text[inner] != u')') return std::u16string_view::npos;
  size_t after = run(inner + 1);
  if (after >= n || text[after] != u')') return std::u16string_view::npos;
  return after + 1;
}

/// One repetition of the path's group at `at`: where it ends, or npos. `bare_until`: from a
/// start before it, the first alternative is known to find no character to end on (kept from one
/// repetition to the next by the caller).
size_t path_part_at(const Rules& r, std::u16string_view text, size_t at, size_t& bare_until) {
  // P*(BP*)*E: the path characters and balanced parentheses run as far as they go, then the
  // regex gives characters back until one a path may end with; parentheses never end it. When
  // none is found, B alone matches one group and the next repetition starts after it, inside
  // the same run, where there is still none: `(a)(a)(a)…` is read once, not once per group.
  if (at < bare_until) return balanced_at(r, text, at);
  const size_t n = text.size();
  size_t last_end = std::u16string_view::npos;
  size_t i = at;
  while (true) {
    while (i < n && r.path_char(text[i])) {
      if (r.path_end(text[i])) last_end = i;
      ++i;
    }
    size_t b = balanced_at(r, text, i);
    if (b == std::u16string_view::npos) break;
    i = b;
  }
  if (last_end != std::u16string_view::npos) return last_end + 1;
  // B alone. (@P+/ never matches where the first alternative does not: its `/` ends a path.)
  bare_until = i;
  return balanced_at(r, text, at);
}

/// The query at `at` (a `?`): where it ends, or `at` when there is none.
size_t query_at(const Rules& r, std::u16string_view text, size_t at) {
  if (at >= text.size() || text[at] != u'?') return at;
  size_t end = at;
  for (size_t i = at + 1; i < text.size() && r.query_char(text[i]); ++i)
    if (r.query_end(text[i])) end = i + 1;
  return end;
}

/// The length of `http://` or `https://` (any case) at `at`, or 0.
size_t protocol_at(std::u16string_view text, size_t at) {
  // Only ASCII letters have an ASCII key, so the comparison stays in ASCII.
  auto is = [&](size_t i, char16_t lower) {
    if (at + i >= text.size()) return false;
    const char16_t c = text[at + i];
    return c == lower || (lower >= u'a' && lower <= u'z' && c == lower - 32);
  };
  if (!(is(0, u'h') && is(1, u't') && is(2, u't') && is(3, u'p'))) return 0;
  size_t i = is(4, u's') ? 5 : 4;
  return is(i, u':') && is(i + 1, u'/') && is(i + 2, u'/') ? i + 3 : 0;
}

}  // namespace

std::optional<Match> Finder::match_at(size_t at) {
  // The character at `at` is the one before the URL...
  if (at < text_.size() && may_precede(text_[at]))
    if (auto m = url_at(at, at + 1)) return m;
  // ...or, at the start of the text only, there is none (`^`).
  if (at == 0) return url_at(0, 0);
  return std::nullopt;
}

std::optional<Match> Finder::url_at(size_t before, size_t start) {
  const Rules& r = rules();
  const std::u16string_view text = text_;
  const size_t n = text.size();
  Match m;
  m.before = before;
  m.start = start;
  size_t protocol = protocol_at(text, start);
  size_t domain_end = npos;
  if (protocol > 0) domain_end = domain_at(start + protocol);
  if (domain_end == npos) {
    // Without the protocol: the domain would start with `http`, followed by `:`, so this
    // only succeeds when there was no protocol.
    protocol = 0;
    domain_end = domain_at(start);
  }
  if (domain_end == npos) return std::nullopt;
  m.domain_start = start + protocol;
  m.domain_end = domain_end;
  size_t i = domain_end;
  if (i + 1 < n && text[i] == u':' && text[i + 1] >= u'0' && text[i + 1] <= u'9') {
    i += 2;
    while (i < n && text[i] >= u'0' && text[i] <= u'9') ++i;
  }
  m.path_start = m.path_end = i;
  if (i < n && text[i] == u'/') {
    ++i;
    size_t bare_until = 0;
    for (size_t next; (next = path_part_at(r, text, i, bare_until)) != npos;) i = next;
    m.path_end = i;
  }
  m.end = query_at(r, text, i);
  return m;
}

// The domain: subdomain* domain-name TLD. A subdomain is D, then D, `-` or `_`, ending in D and
// a dot; nothing but a dot can end one early, so each label is the run up to the next character
// outside them. The regex takes as many subdomains as there are, then gives them back one at a
// time until a domain name (a label without `_`) and a TLD follow: the domain ends at the TLD
// after the last label that has one.
size_t Finder::domain_at(size_t at) {
  const Rules& r = rules();
  const std::u16string_view text = text_;
  const size_t n = text.size();
  if (at >= n || !r.domain_char(text[at])) return npos;
  // The first label: a later start inside the label last read ends where that one ends.
  if (!(label_from_ != npos && at > label_from_ && at < label_end_)) {
    label_from_ = at;
    label_underscore_ = npos;
    size_t j = at;
    while (j < n && (r.domain_char(text[j]) || text[j] == u'-' || text[j] == u'_')) {
      if (text[j] == u'_') label_underscore_ = j;
      ++j;
    }
    label_end_ = j;
  }
  const size_t dot = label_end_;
  if (dot >= n || text[dot] != u'.' || !r.domain_char(text[dot - 1])) return npos;
  if (size_t end = domain_after(dot); end != npos) return end;
  if (label_underscore_ != npos && label_underscore_ >= at) return npos;
  if (dot != tld_dot_) {
    tld_dot_ = dot;
    tld_length_ = tld_at(r, text, dot + 1);
  }
  return tld_length_ > 0 ? dot + 1 + tld_length_ : npos;
}

/// The domain's end when its domain name is one of the labels after `dot` (the first label's
/// dot), or npos. The labels after a dot are a tail of the labels after any earlier dot of the
/// same chain, and the regex takes the last of them that a TLD follows; so one pass over a chain
/// answers for every dot in it, and a text of many short labels is read once, not once per dot.
size_t Finder::domain_after(size_t dot) {
  if (chain_first_ == npos || dot < chain_first_ || dot > chain_last_) {
    const Rules& r = rules();
    const std::u16string_view text = text_;
    const size_t n = text.size();
    size_t previous = dot;
    chain_good_ = chain_end_ = npos;
    for (size_t i = dot + 1; i < n && r.domain_char(text[i]);) {
      size_t j = i;
      bool underscore = false;
      while (j < n && (r.domain_char(text[j]) || text[j] == u'-' || text[j] == u'_')) {
        underscore = underscore || text[j] == u'_';
        ++j;
      }
      if (j >= n || text[j] != u'.' || !r.domain_char(text[j - 1])) break;
      if (!underscore)
        if (size_t tld = tld_at(r, text, j + 1)) {
          chain_good_ = previous;
          chain_end_ = j + 1 + tld;
        }
      previous = j;
      i = j + 1;
    }
    chain_first_ = dot;
    chain_last_ = previous;
  }
  return chain_good_ != npos && dot <= chain_good_ ? chain_end_ : npos;
}

size_t find_unit(std::u16string_view text, char16_t unit, size_t from) {
  size_t i = from;
#if defined(__SSE2__)
  // Eight units at a time.
  const __m128i wanted = _mm_set1_epi16(static_cast<short>(unit));
  for (; i + 8 <= text.size(); i += 8) {
    const __m128i units = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const int found = _mm_movemask_epi8(_mm_cmpeq_epi16(units, wanted));
    if (found != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(found))) / 2;
  }
#endif
  for (; i < text.size(); ++i)
    if (text[i] == unit) return i;
  return std::u16string_view::npos;
}

void candidates(std::u16string_view text, std::vector<std::pair<size_t, size_t>>& ranges) {
  // From each dot, out to the ends of its run of host characters: few texts have many dots.
  const Rules& r = rules();
  ranges.clear();
  const size_t n = text.size();
  for (size_t dot = find_unit(text, u'.', 0); dot != std::u16string_view::npos;
       dot = find_unit(text, u'.', dot)) {
    size_t start = dot;
    while (start > 0 && r.host_char(text[start - 1])) --start;
    size_t last_dot = dot;
    for (++dot; dot < n && r.host_char(text[dot]); ++dot)
      if (text[dot] == u'.') last_dot = dot;
    if (last_dot <= start) continue;
    // With a protocol, the domain starts the run and the protocol ends right before it.
    for (size_t length : {size_t{8}, size_t{7}}) {
      if (start < length || protocol_at(text, start - length) != length) continue;
      size_t protocol = start - length;
      ranges.emplace_back(protocol > 0 ? protocol - 1 : 0, protocol > 0 ? protocol : 1);
      break;
    }
    // Without, the domain starts inside the run, after the character before it.
    ranges.emplace_back(start > 0 ? start - 1 : 0, last_dot);
  }
}

void ascii_domains(std::u16string_view domain, std::vector<std::pair<size_t, size_t>>& found) {
  // (?:[-a-z0-9À-ɏ…]+\.)+TLD, found left to right: at each start, the most labels after which
  // a TLD follows. A start that finds none sees a tail of the same labels from every later
  // start up to where they stop, so the search goes on from there.
  const Rules& r = rules();
  const size_t n = domain.size();
  found.clear();
  for (size_t start = 0; start < n;) {
    size_t end = 0, stop = start;
    for (size_t i = start; i < n && r.ascii_label(domain[i]);) {
      size_t j = i;
      while (j < n && r.ascii_label(domain[j])) ++j;
      stop = j;
      if (j >= n || domain[j] != u'.') break;
      if (size_t tld = tld_at(r, domain, j + 1)) end = j + 1 + tld;
      i = j + 1;
    }
    if (end == 0) {
      start = std::max(start + 1, stop);
      continue;
    }
    found.emplace_back(start, end);
    start = end;
  }
}

bool tco_link(std::u16string_view url, size_t& end, size_t& slug) {
  // ^https?://t\.co/([a-z0-9]+)(\?Q*R)?
  size_t protocol = protocol_at(url, 0);
  if (protocol == 0 || url.size() < protocol + 5) return false;
  if (key(url[protocol]) != u't' || url[protocol + 1] != u'.' || key(url[protocol + 2]) != u'c' ||
      key(url[protocol + 3]) != u'o' || url[protocol + 4] != u'/')
    return false;
  size_t i = protocol + 5;
  while (i < url.size() && ascii_alnum(url[i])) ++i;
  if (i == protocol + 5) return false;
  slug = i - (protocol + 5);
  end = query_at(rules(), url, i);
  return true;
}

}  // namespace herald::text::x::url
