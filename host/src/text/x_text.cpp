// X's rules as twitter-text 3 states them (regular expressions over UTF-16 code units), written
// as ICU regular expressions. Letters and marks come from ICU's Unicode properties; the TLD list
// and the emoji sequences are compiled-in data (see host/src/text/data/README.md).
#include "text/x_text.hpp"

#include "text/icu.hpp"
#include "text/unicode.hpp"

#include <unicode/regex.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace herald::text::x {
namespace {

constexpr const char* kTldData =
#include "tld_lib.yml.inc"
    ;
constexpr const char* kEmojiData =
#include "twemoji-sequences.txt.inc"
    ;

// --- Character sets (ICU set syntax) -------------------------------------------------------

// twitter-text's punctuation, spaces, invalid characters and directional marks.
constexpr const char* kPunct = R"(\!\'\#\%\&\(\)\*\+\,\\\-\.\/\:\;\<\=\>\?\@\[\]\^\_\{\|\}\~\$)";
constexpr const char* kSpaces =
    R"(\x{09}-\x{0D}\x{20}\x{85}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{2028}\x{2029})"
    R"(\x{202F}\x{205F}\x{3000})";
constexpr const char* kInvalid = R"(\x{FFFE}\x{FEFF}\x{FFFF})";
constexpr const char* kDirectional =
    R"(\x{202A}-\x{202E}\x{061C}\x{200E}\x{200F}\x{2066}-\x{2069})";
// JavaScript's \s, which the cashtag rule uses.
constexpr const char* kJsSpace =
    R"(\x{09}-\x{0D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F})"
    R"(\x{3000}\x{FEFF})";
// Latin letters with accents that URLs may contain.
constexpr const char* kLatinAccents =
    R"(\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}\x{100}-\x{24F}\x{253}\x{254}\x{256}\x{257})"
    R"(\x{259}\x{25B}\x{263}\x{268}\x{26F}\x{272}\x{289}\x{28B}\x{2BB}\x{300}-\x{36F})"
    R"(\x{1E00}-\x{1EFF})";
constexpr const char* kCyrillic = R"(\x{400}-\x{4FF})";
// Characters inside a hashtag besides letters, marks and digits.
constexpr const char* kHashtagSpecial =
    R"(_\x{200C}\x{200D}\x{A67E}\x{5BE}\x{5F3}\x{5F4}\x{FF5E}\x{301C}\x{309B}\x{309C}\x{30A0})"
    R"(\x{30FB}\x{3003}\x{F0B}\x{F0C}\x{B7})";

std::string set(const std::string& inside) {
  return "[" + inside + "]";
}

// --- Data --------------------------------------------------------------------------------

/// A trie of TLDs, written out as a pattern: "c(?:o(?:m(?:cast)?|op)|at)" rather than
/// "comcast|com|coop|cat". It matches the same TLDs in the same order (an extension before the
/// TLD it extends) and lets the matcher rule out a TLD after its first letters instead of
/// comparing the text with every one of them.
struct TldTrie {
  std::map<char32_t, TldTrie> next;
  bool ends = false;

  void add(std::u32string_view tld) {
    TldTrie* node = this;
    for (char32_t c : tld) node = &node->next[c];
    node->ends = true;
  }

  void write(std::string& out) const {
    // A chain with no branch and no end in it is written as plain letters.
    if (next.size() == 1 && !ends) {
      append(out, next.begin()->first);
      next.begin()->second.write(out);
      return;
    }
    if (next.empty()) return;
    out += "(?:";
    bool first = true;
    for (const auto& [c, child] : next) {
      if (!first) out += '|';
      first = false;
      append(out, c);
      child.write(out);
    }
    out += ends ? ")?" : ")";
  }

  static void append(std::string& out, char32_t c) {
    icu::UnicodeString(static_cast<UChar32>(c)).toUTF8String(out);
  }
};

/// The TLDs of tld_lib.yml's `country` or `generic` list, as a pattern.
std::string tld_alternation(const std::string& section) {
  TldTrie trie;
  std::istringstream in(kTldData);
  std::string line, current;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == ':') current = line.substr(0, line.size() - 1);
    if (current != section || line.rfind("- ", 0) != 0) continue;
    std::string tld = line.substr(2);
    if (tld.size() > 2 && tld.front() == '\'' && tld.back() == '\'')
      tld = tld.substr(1, tld.size() - 2);
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(tld);
    std::u32string code_points;
    for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) code_points += u.char32At(i);
    trie.add(code_points);
  }
  std::string out;
  trie.write(out);
  return out;
}

struct Patterns {
  std::unique_ptr<icu::RegexPattern> url;
  std::unique_ptr<icu::RegexPattern> ascii_domain;
  std::unique_ptr<icu::RegexPattern> tco;
  std::unique_ptr<icu::RegexPattern> hashtag;
  std::unique_ptr<icu::RegexPattern> mention;
  std::unique_ptr<icu::RegexPattern> cashtag;

  Patterns() {
    const std::string domain_char =
        set(std::string("^") + kPunct + kSpaces + kInvalid + kDirectional);
    const std::string tld_lookahead = R"((?=[^0-9a-zA-Z\@\+\-]|$))";
    const std::string tld = "(?:(?:" + tld_alternation("generic") + ")" + tld_lookahead +
                            "|(?:" + tld_alternation("country") + ")" + tld_lookahead +
                            R"(|(?:xn--[\-0-9a-z]+)))";
    // twitter-text writes these as (?:[_\-]|D)* and (?:\-|D)*; one set is the same pattern and
    // much cheaper to backtrack through.
    const std::string subdomain =
        "(?:(?:" + domain_char + "[_\\-" + domain_char + "]*)?" + domain_char + "\\.)";
    const std::string domain_name =
        "(?:(?:" + domain_char + "[\\-" + domain_char + "]*)?" + domain_char + "\\.)";
    const std::string domain = subdomain + "*" + domain_name + tld;

    const std::string path_char = set(std::string("a-z") + kCyrillic + R"(0-9\!\*\'\;\:\=\+\,\.)" +
                                      R"(\$\/\%\#\[\]\-\x{2013}\_\~\@\|\&)" + kLatinAccents);
    const std::string balanced = "\\((?:" + path_char + "+|(?:" + path_char + "*\\(" + path_char +
                                 "+\\)" + path_char + "*))\\)";
    const std::string path_end =
        set(std::string(R"(\+\-a-z)") + kCyrillic + R"(0-9\=\_\#\/)" + kLatinAccents);
    const std::string path = "(\\/(?:(?:" + path_char + "*(?:" + balanced + path_char + "*)*" +
                             path_end + "|(?:" + balanced + "))|(?:\\@" + path_char + "+\\/))*)?";
    const std::string query =
        R"((\?[a-z0-9\!\?\*\'\@\(\)\;\:\&\=\+\$\/\%\#\[\]\-\_\.\,\~\|]*[a-z0-9\-\_\&\=\#\/])?)";
    const std::string preceding = std::string(R"((?:[^A-Za-z0-9\@\x{FF20}\$\#\x{FF03})") +
                                  kInvalid + "]|[" + kDirectional + "]|^)";
    // Groups: 1 all, 2 before, 3 URL, 4 protocol, 5 domain, 6 port, 7 path, 8 query.
    url = compile_rule(
        "((" + preceding + ")((https?:\\/\\/)?(" + domain + ")(?::([0-9]+))?" + path + query + "))",
        UREGEX_CASE_INSENSITIVE);
    ascii_domain =
        compile_rule("(?:(?:[\\-a-z0-9" + std::string(kLatinAccents) + "]+)\\.)+(?:" + tld + ")",
                     UREGEX_CASE_INSENSITIVE);
    tco = compile_rule(
        R"(^https?:\/\/t\.co\/([a-z0-9]+)(?:\?[a-z0-9\!\?\*\'\@\(\)\;\:\&\=\+\$\/\%\#\[\]\-\_\.\,\~\|]*[a-z0-9\-\_\&\=\#\/])?)",
        UREGEX_CASE_INSENSITIVE);

    const std::string alpha = "[\\p{L}\\p{M}]";
    const std::string alnum = std::string("[\\p{L}\\p{M}\\p{Nd}") + kHashtagSpecial + "]";
    // Groups: 1 before, 2 hash sign, 3 tag.
    hashtag = compile_rule("(^|\\x{FE0E}|\\x{FE0F}|$|(?!" + alnum + "|\\&)[\\s\\S])([#\\x{FF03}])" +
                               "(?!\\x{FE0F}|\\x{20E3})(" + alnum + "*" + alpha + alnum + "*)",
                           UREGEX_CASE_INSENSITIVE);
    // Groups: 1 before, 2 at sign, 3 screen name, 4 list.
    mention = compile_rule(
        R"(((?:^|[^a-zA-Z0-9_\!\#\$\%\&\*\@\x{FF20}]|(?:^|[^a-zA-Z0-9_\+\~\.\-])(?:rt|RT|rT|Rt):?))([\@\x{FF20}])([a-zA-Z0-9_]{1,20})(\/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?)",
        0);
    // Groups: 1 before, 2 dollar, 3 symbol.
    cashtag = compile_rule(std::string("(^|[") + kSpaces +
                               "])(\\$)([a-z]{1,6}(?:[._][a-z]{1,2})?)(?=$|[" + kJsSpace + "]|[" +
                               kPunct + "])",
                           UREGEX_CASE_INSENSITIVE);
  }
};

const Patterns& patterns() {
  static const Patterns compiled;
  return compiled;
}

/// The emoji sequences twemoji-parser matches, as a trie over UTF-16 units: emoji_at walks it
/// once per position instead of looking up every candidate length.
struct EmojiTable {
  struct Node {
    std::vector<std::pair<char16_t, uint32_t>> next;  // sorted by unit
    bool ends = false;
  };
  std::vector<Node> nodes{1};
  std::bitset<0x10000> first_units;

  EmojiTable() {
    std::istringstream in(kEmojiData);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream hex(line);
      std::u16string sequence;
      std::string code;
      while (hex >> code) {
        auto c = static_cast<char32_t>(std::stoul(code, nullptr, 16));
        if (c > 0xFFFF) {
          sequence.push_back(static_cast<char16_t>(U16_LEAD(c)));
          sequence.push_back(static_cast<char16_t>(U16_TRAIL(c)));
        } else {
          sequence.push_back(static_cast<char16_t>(c));
        }
      }
      if (sequence.empty()) continue;
      first_units.set(sequence[0]);
      uint32_t node = 0;
      for (char16_t unit : sequence) {
        auto& next = nodes[node].next;
        auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(unit, uint32_t{0}));
        if (it == next.end() || it->first != unit) {
          it = next.insert(it, {unit, static_cast<uint32_t>(nodes.size())});
          uint32_t child = it->second;
          nodes.emplace_back();  // invalidates `next`, so nothing of it is used after this
          node = child;
        } else {
          node = it->second;
        }
      }
      nodes[node].ends = true;
    }
  }

  /// The length of the longest sequence at the start of `text`, 0 when none.
  size_t longest_at(std::u16string_view text) const {
    if (text.empty() || !first_units.test(text[0])) return 0;
    size_t longest = 0;
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const auto& next = nodes[node].next;
      auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(text[i], uint32_t{0}));
      if (it == next.end() || it->first != text[i]) break;
      node = it->second;
      if (nodes[node].ends) longest = i + 1;
    }
    return longest;
  }
};

const EmojiTable& emoji_table() {
  static const EmojiTable table;
  return table;
}

std::u16string group(icu::RegexMatcher& m, int n, UErrorCode& status) {
  icu::UnicodeString g = m.group(n, status);
  return std::u16string(g.getBuffer(), static_cast<size_t>(g.length()));
}

bool contains_any(std::u16string_view text, std::u16string_view chars) {
  return text.find_first_of(chars) != std::u16string_view::npos;
}

/// The length of a label once punycode-encoded (RFC 3492), as the `punycode` package's
/// toASCII gives it: ASCII labels unchanged, others "xn--" and the encoding.
size_t punycode_length(std::u16string_view label) {
  std::vector<char32_t> code_points;
  for (size_t i = 0; i < label.size(); ++i) {
    char32_t c = label[i];
    if (U16_IS_LEAD(c) && i + 1 < label.size() && U16_IS_TRAIL(label[i + 1]))
      c = U16_GET_SUPPLEMENTARY(c, label[++i]);
    code_points.push_back(c);
  }
  size_t basic = 0;
  for (char32_t c : code_points)
    if (c < 0x80) ++basic;
  if (basic == code_points.size()) return label.size();
  // Encode only to count the output: base 36 digits with the bias adaptation of RFC 3492.
  constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  auto adapt = [&](uint32_t delta, uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };
  size_t out = basic + (basic > 0 ? 1 : 0);
  uint32_t n = 0x80, delta = 0, bias = 72;
  size_t handled = basic;
  while (handled < code_points.size()) {
    char32_t m = 0x10FFFF + 1;
    for (char32_t c : code_points)
      if (c >= n && c < m) m = c;
    delta += (m - n) * static_cast<uint32_t>(handled + 1);
    n = m;
    for (char32_t c : code_points) {
      if (c < n) ++delta;
      if (c != n) continue;
      uint32_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        uint32_t t = k <= bias ? kTMin : (k >= bias + kTMax ? kTMax : k - bias);
        if (q < t) break;
        ++out;
        q = (q - t) / (kBase - t);
      }
      ++out;
      bias = adapt(delta, static_cast<uint32_t>(handled + 1), handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return 4 + out;
}

/// twitter-text's idna.toAscii check: every label 1 to 63 characters once encoded, and a domain
/// that claims to be punycode must be ASCII.
bool valid_domain_labels(std::u16string_view domain) {
  if (domain.substr(0, 4) == u"xn--") {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString text = alias(domain);
    std::unique_ptr<icu::RegexMatcher> m(patterns().ascii_domain->matcher(text, status));
    if (U_FAILURE(status) || !m->find()) return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = domain.find(u'.', start);
    std::u16string_view label = domain.substr(
        start, dot == std::u16string_view::npos ? std::u16string_view::npos : dot - start);
    // punycode.toASCII also splits at the ideographic and fullwidth full stops.
    size_t length = 0, part_start = 0;
    while (true) {
      size_t sep = label.find_first_of(u"\u3002\uFF0E\uFF61", part_start);
      std::u16string_view part =
          label.substr(part_start, sep == std::u16string_view::npos ? std::u16string_view::npos
                                                                    : sep - part_start);
      length += punycode_length(part);
      if (sep == std::u16string_view::npos) break;
      length += 1;
      part_start = sep + 1;
    }
    if (length < 1 || length > 63) return false;
    if (dot == std::u16string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

int weight_of(char32_t c, const Config& config) {
  for (const WeightRange& r : config.ranges)
    if (c >= r.start && c <= r.end) return r.weight;
  return config.default_weight;
}

bool is_invalid_char(char16_t c) {
  return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF;
}

/// twitter-text's removeOverlappingEntities: in start order, an entity that overlaps the one
/// kept before it is dropped. Returns the hashtags that survive the URLs.
std::vector<Entity> drop_overlapped(std::vector<Entity> tags, const std::vector<Entity>& urls) {
  struct Span {
    const Entity* entity;
    bool is_tag;
  };
  std::vector<Span> all;
  for (const Entity& t : tags) all.push_back({&t, true});
  for (const Entity& u : urls) all.push_back({&u, false});
  std::stable_sort(all.begin(), all.end(),
                   [](const Span& a, const Span& b) { return a.entity->start < b.entity->start; });
  std::vector<Entity> kept_tags;
  const Entity* previous = nullptr;
  for (const Span& s : all) {
    if (previous && previous->end > s.entity->start) continue;
    previous = s.entity;
    if (s.is_tag) kept_tags.push_back(*s.entity);
  }
  return kept_tags;
}

}  // namespace

Config Config::v1() {
  Config c;
  c.version = 1;
  c.max_weighted_length = 140;
  c.scale = 1;
  c.default_weight = 1;
  c.emoji_parsing = false;
  return c;
}

Config Config::v2() {
  Config c;
  c.version = 2;
  c.emoji_parsing = false;
  c.ranges = {
      {0x0, 0x10FF, 100}, {0x2000, 0x200D, 100}, {0x2010, 0x201F, 100}, {0x2032, 0x2037, 100}};
  return c;
}

Config Config::v3() {
  Config c = v2();
  c.version = 3;
  c.emoji_parsing = true;
  return c;
}

namespace {

/// Adds the URL (or URLs: a protocol-less match may hold several domains) of the match `m`.
void add_url(const Patterns& p, icu::RegexMatcher& m, bool without_protocol,
             std::vector<Entity>& urls, UErrorCode& status) {
  std::u16string before = group(m, 2, status);
  std::u16string url = group(m, 3, status);
  std::u16string protocol = group(m, 4, status);
  std::u16string domain = group(m, 5, status);
  std::u16string path = group(m, 7, status);
  size_t end = static_cast<size_t>(m.end(status));
  size_t start = end - url.size();

  // twitter-text's length limit: 4096 with the protocol (https:// when there is none).
  if (!valid_domain_labels(domain)) return;
  if ((protocol.empty() ? 8 : protocol.size()) + url.size() > 4096) return;

  if (protocol.empty()) {
    if (!without_protocol) return;
    if (!before.empty()) {
      char16_t last = before.back();
      if (last == u'-' || last == u'_' || last == u'.' || last == u'/') return;
    }
    // Only the ASCII domains in what was found are URLs.
    icu::UnicodeString domain_text = alias(domain);
    std::unique_ptr<icu::RegexMatcher> ascii(p.ascii_domain->matcher(domain_text, status));
    Entity* last_url = nullptr;
    size_t search_from = 0;
    while (ascii->find(status) && U_SUCCESS(status)) {
      std::u16string found = group(*ascii, 0, status);
      size_t at = domain.find(found, search_from);
      search_from = at + found.size();
      urls.push_back({start + at, start + search_from, found, {}});
      last_url = &urls.back();
    }
    if (!last_url) return;
    if (!path.empty()) {
      size_t domain_at = url.find(domain);
      last_url->value =
          url.substr(0, domain_at) + last_url->value + url.substr(domain_at + domain.size());
      last_url->end = end;
    }
  } else {
    // A t.co URL ends where its slug (and query) ends, and a slug longer than 40 is not one.
    icu::UnicodeString url_text = alias(url);
    std::unique_ptr<icu::RegexMatcher> tco(p.tco->matcher(url_text, status));
    if (tco->lookingAt(status) && U_SUCCESS(status)) {
      if (tco->end(1, status) - tco->start(1, status) > 40) return;
      url = group(*tco, 0, status);
      end = start + url.size();
    }
    urls.push_back({start, end, url, {}});
  }
}

/// Characters the URL pattern's `before` group refuses (and a directional mark does not
/// bring back in).
bool cannot_precede_url(char16_t c) {
  return (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') ||
         c == u'@' || c == u'$' || c == u'#' || c == 0xFF20 || c == 0xFF03 || c == 0xFFFE ||
         c == 0xFEFF || c == 0xFFFF;
}

/// Where a URL can start: the URL pattern tries every position, but each match holds a domain
/// with a dot inside one run of host characters (anything but punctuation, spaces, invalid and
/// directional characters, plus `-`, `_` and `.`), and starts at most 9 units before that run
/// (one preceding character and `https://`). Returns [from, to) ranges covering every such
/// start, in order.
std::vector<std::pair<size_t, size_t>> url_candidates(std::u16string_view text) {
  static const icu::UnicodeSet host = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::string pattern = "[[^";
    for (const char* part : {kPunct, kSpaces, kInvalid, kDirectional}) pattern += part;
    pattern += "][\\-_.]]";
    icu::UnicodeSet set(icu::UnicodeString::fromUTF8(pattern), status);
    if (U_FAILURE(status)) throw std::logic_error("host character set does not compile");
    set.freeze();
    return set;
  }();
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t run_start = 0;
  size_t last_dot = 0;
  bool in_run = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    bool host_char = i < text.size() && host.contains(text[i]);
    if (host_char && !in_run) {
      in_run = true;
      run_start = i;
      last_dot = 0;
    }
    if (host_char && text[i] == u'.') last_dot = i;
    if (!host_char && in_run) {
      in_run = false;
      if (last_dot > run_start) ranges.emplace_back(run_start >= 9 ? run_start - 9 : 0, last_dot);
    }
  }
  return ranges;
}

}  // namespace

std::vector<Entity> extract_urls(std::u16string_view text, bool without_protocol) {
  std::vector<Entity> urls;
  if (text.empty() || text.find(without_protocol ? u'.' : u':') == std::u16string_view::npos)
    return urls;
  const Patterns& p = patterns();
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = alias(text);
  std::unique_ptr<icu::RegexMatcher> m(p.url->matcher(input, status));
  if (U_FAILURE(status)) return urls;
  // Matching is tried only where a URL can start, which gives the same matches as a scan of
  // every position at a fraction of the cost. The bounds keep `^` at the start of the text and
  // let look-arounds see past the region.
  m->useAnchoringBounds(false);
  m->useTransparentBounds(true);
  const auto length = static_cast<int64_t>(text.size());
  size_t at = 0;  // where the previous match ended
  for (const auto& [from, to] : url_candidates(text)) {
    for (size_t start_at = std::max(at, from); start_at < to; ++start_at) {
      // A match starts with the character before the URL, which cannot be a letter or digit
      // of ASCII, @, $ or # (only the start of the text can do without one).
      if (start_at > 0 && cannot_precede_url(text[start_at])) continue;
      m->region(static_cast<int64_t>(start_at), length, status);
      if (!m->lookingAt(status) || U_FAILURE(status)) continue;
      at = static_cast<size_t>(m->end(status));
      start_at = at - 1;
      add_url(p, *m, without_protocol, urls, status);
    }
  }
  return urls;
}

std::vector<Entity> extract_hashtags(std::u16string_view text) {
  std::vector<Entity> tags;
  if (!contains_any(text, u"#\uFF03")) return tags;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = alias(text);
  std::unique_ptr<icu::RegexMatcher> m(patterns().hashtag->matcher(input, status));
  while (m->find(status) && U_SUCCESS(status)) {
    auto match_end = static_cast<size_t>(m->end(status));
    std::u16string_view after = text.substr(match_end);
    if (!after.empty() &&
        (after[0] == u'#' || after[0] == u'\uFF03' || after.substr(0, 3) == u"://"))
      continue;
    std::u16string tag = group(*m, 3, status);
    auto start = static_cast<size_t>(m->start(2, status));
    tags.push_back({start, start + tag.size() + 1, tag, {}});
  }
  std::vector<Entity> urls = extract_urls(text);
  if (!urls.empty()) tags = drop_overlapped(std::move(tags), urls);
  return tags;
}

std::vector<Entity> extract_mentions_or_lists(std::u16string_view text) {
  std::vector<Entity> found;
  if (!contains_any(text, u"@\uFF20")) return found;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = alias(text);
  std::unique_ptr<icu::RegexMatcher> m(patterns().mention->matcher(input, status));
  while (m->find(status) && U_SUCCESS(status)) {
    auto match_end = static_cast<size_t>(m->end(status));
    std::u16string_view after = text.substr(match_end);
    if (!after.empty()) {
      char16_t c = after[0];
      static const icu::UnicodeSet accents = [] {
        icu::UnicodeString pattern(u"[");
        pattern.append(icu::UnicodeString::fromUTF8(kLatinAccents)).append(u']');
        UErrorCode status = U_ZERO_ERROR;
        icu::UnicodeSet set(pattern, status);
        set.freeze();
        return set;
      }();
      bool accent = accents.contains(c);
      if (c == u'@' || c == u'\uFF20' || accent || after.substr(0, 3) == u"://") continue;
    }
    std::u16string name = group(*m, 3, status);
    std::u16string list = group(*m, 4, status);
    auto start = static_cast<size_t>(m->start(2, status));
    found.push_back({start, start + name.size() + list.size() + 1, name, list});
  }
  return found;
}

std::vector<Entity> extract_mentions(std::u16string_view text) {
  std::vector<Entity> mentions;
  for (Entity& e : extract_mentions_or_lists(text))
    if (e.list_slug.empty()) mentions.push_back(std::move(e));
  return mentions;
}

std::vector<Entity> extract_cashtags(std::u16string_view text) {
  std::vector<Entity> found;
  if (text.find(u'$') == std::u16string_view::npos) return found;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = alias(text);
  std::unique_ptr<icu::RegexMatcher> m(patterns().cashtag->matcher(input, status));
  while (m->find(status) && U_SUCCESS(status)) {
    std::u16string symbol = group(*m, 3, status);
    auto start = static_cast<size_t>(m->start(2, status));
    found.push_back({start, start + symbol.size() + 1, symbol, {}});
  }
  return found;
}

size_t emoji_at(std::u16string_view text, size_t offset) {
  return offset < text.size() ? emoji_table().longest_at(text.substr(offset)) : 0;
}

ParseResult parse(std::u16string_view original, const Config& config) {
  ParseResult result;
  std::u16string text = nfc(original);
  std::vector<Entity> urls = extract_urls(text);
  size_t next_url = 0;
  int64_t weighted = 0;
  size_t valid_display = 0;
  bool valid = true;
  const int64_t max = int64_t{config.max_weighted_length} * config.scale;
  for (size_t i = 0; i < text.size(); ++i) {
    while (next_url < urls.size() && urls[next_url].start < i) ++next_url;
    size_t emoji = 0;
    if (next_url < urls.size() && urls[next_url].start == i) {
      weighted += int64_t{config.transformed_url_length} * config.scale;
      i += urls[next_url].value.size() - 1;
    } else if (config.emoji_parsing && (emoji = emoji_at(text, i)) > 0) {
      weighted += config.default_weight;
      i += emoji - 1;
    } else {
      char32_t c = text[i];
      if (U16_IS_LEAD(c) && i + 1 < text.size() && U16_IS_TRAIL(text[i + 1])) {
        c = U16_GET_SUPPLEMENTARY(c, text[i + 1]);
        ++i;
      }
      weighted += weight_of(c, config);
    }
    if (valid) valid = !is_invalid_char(text[i]);
    if (valid && weighted <= max) valid_display = i;
  }
  const int64_t offset = static_cast<int64_t>(original.size()) - static_cast<int64_t>(text.size());
  result.weighted_length = static_cast<int>(weighted / config.scale);
  result.valid = valid && weighted > 0 && result.weighted_length <= config.max_weighted_length;
  // twitter-text computes this in floating point, and 2261 / 280 * 1000 gives 8074.99...
  result.permillage = static_cast<int>(
      std::floor(static_cast<double>(result.weighted_length) / config.max_weighted_length * 1000));
  result.valid_range_end = static_cast<int>(static_cast<int64_t>(valid_display) + offset);
  result.display_range_end = original.empty() ? 0 : static_cast<int>(original.size() - 1);
  return result;
}

bool valid_legacy_tweet(std::u16string_view text) {
  return parse(text, Config::v1()).valid;
}

}  // namespace herald::text::x
