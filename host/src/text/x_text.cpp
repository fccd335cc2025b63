// X's rules as twitter-text 3 states them, over UTF-16 code units: the weighted length, and the
// URLs (matched by hand in x_url.cpp), hashtags, mentions and cashtags (twitter-text's patterns,
// written as ICU regular expressions) in a text. Letters and marks come from ICU's Unicode
// properties; the TLD list and the emoji sequences are compiled-in data (see
// host/src/text/data/README.md).
#include "text/x_text.hpp"

#include "text/icu.hpp"
#include "text/unicode.hpp"
#include "text/x_chars.hpp"
#include "text/x_url.hpp"

#include <unicode/regex.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace herald::text::x {
namespace {

constexpr const char* kEmojiData =
#include "twemoji-sequences.txt.inc"
    ;

using namespace chars;

// Hashtags, mentions and cashtags are found with twitter-text's own patterns, compiled once
// each on first use.

/// Groups: 1 before, 2 hash sign, 3 tag.
const icu::RegexPattern& hashtag_pattern() {
  static const std::unique_ptr<icu::RegexPattern> compiled = [] {
    const std::string alpha = "[\\p{L}\\p{M}]";
    const std::string alnum = std::string("[\\p{L}\\p{M}\\p{Nd}") + kHashtagSpecial + "]";
    return compile_rule("(^|\\x{FE0E}|\\x{FE0F}|$|(?!" + alnum + "|\\&)[\\s\\S])([#\\x{FF03}])" +
                            "(?!\\x{FE0F}|\\x{20E3})(" + alnum + "*" + alpha + alnum + "*)",
                        UREGEX_CASE_INSENSITIVE);
  }();
  return *compiled;
}

/// Groups: 1 before, 2 at sign, 3 screen name, 4 list.
const icu::RegexPattern& mention_pattern() {
  static const std::unique_ptr<icu::RegexPattern> compiled = compile_rule(
      R"(((?:^|[^a-zA-Z0-9_\!\#\$\%\&\*\@\x{FF20}]|(?:^|[^a-zA-Z0-9_\+\~\.\-])(?:rt|RT|rT|Rt):?))([\@\x{FF20}])([a-zA-Z0-9_]{1,20})(\/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?)",
      0);
  return *compiled;
}

/// Groups: 1 before, 2 dollar, 3 symbol.
const icu::RegexPattern& cashtag_pattern() {
  static const std::unique_ptr<icu::RegexPattern> compiled =
      compile_rule(std::string("(^|[") + kSpaces + "])(\\$)([a-z]{1,6}(?:[._][a-z]{1,2})?)(?=$|[" +
                       kJsSpace + "]|[" + kPunct + "])",
                   UREGEX_CASE_INSENSITIVE);
  return *compiled;
}

/// The emoji sequences twemoji-parser matches, as a trie over UTF-16 units: emoji_at walks it
/// once per position instead of looking up every candidate length.
struct EmojiTable {
  struct Node {
    std::vector<std::pair<char16_t, uint32_t>> next;  // sorted by unit
    bool ends = false;
    // A node with many children close together (the low surrogates after a high one) also
    // has them indexed by unit - base: 0 for none.
    char16_t base = 0;
    std::vector<uint32_t> dense;

    uint32_t child(char16_t unit) const {
      if (!dense.empty())
        return unit >= base && unit - base < static_cast<int>(dense.size()) ? dense[unit - base]
                                                                            : 0;
      auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(unit, uint32_t{0}));
      return it != next.end() && it->first == unit ? it->second : 0;
    }
  };
  std::vector<Node> nodes{1};
  std::bitset<0x10000> first_units;
  // The root's children by first unit, in pages of 256 units; only the pages with one exist.
  std::array<std::unique_ptr<std::array<uint32_t, 256>>, 256> first;

  EmojiTable() {
    // One sequence per line, as hexadecimal code points separated by spaces; # starts a comment.
    std::string_view data(kEmojiData);
    std::u16string sequence;
    nodes.reserve(std::count(data.begin(), data.end(), '\n') * 2);
    while (!data.empty()) {
      size_t end = data.find('\n');
      std::string_view line = data.substr(0, end);
      data = end == std::string_view::npos ? std::string_view() : data.substr(end + 1);
      if (line.empty() || line[0] == '#') continue;
      sequence.clear();
      const char* at = line.data();
      const char* last = line.data() + line.size();
      while (at < last) {
        if (*at == ' ') {
          ++at;
          continue;
        }
        uint32_t c = 0;
        auto [next, error] = std::from_chars(at, last, c, 16);
        if (error != std::errc()) throw std::logic_error("emoji table: bad code point");
        at = next;
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
    for (const auto& [unit, child] : nodes[0].next) {
      auto& page = first[unit >> 8];
      if (!page) page = std::make_unique<std::array<uint32_t, 256>>();
      (*page)[unit & 0xFF] = child;
    }
    for (Node& n : nodes) {
      if (n.next.size() < 16 || n.next.back().first - n.next.front().first >= 4096) continue;
      n.base = n.next.front().first;
      n.dense.assign(static_cast<size_t>(n.next.back().first - n.base) + 1, 0);
      for (const auto& [unit, child] : n.next) n.dense[unit - n.base] = child;
    }
  }

  /// The length of the longest sequence at the start of `text`, 0 when none.
  size_t longest_at(std::u16string_view text) const {
    if (text.empty() || !first_units[text[0]]) return 0;
    uint32_t node = (*first[text[0] >> 8])[text[0] & 0xFF];
    size_t longest = nodes[node].ends ? 1 : 0;
    for (size_t i = 1; i < text.size(); ++i) {
      node = nodes[node].child(text[i]);
      if (node == 0) break;
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
  if (std::all_of(label.begin(), label.end(), [](char16_t c) { return c < 0x80; }))
    return label.size();
  std::vector<char32_t> code_points;
  code_points.reserve(label.size());
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
  // Every code point takes at least one character of the encoding: a label this long is too
  // long for any use here (63 at most), and encoding it costs time quadratic in its length.
  if (code_points.size() > 63) return 4 + code_points.size();
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
    std::vector<std::pair<size_t, size_t>> ascii;
    url::ascii_domains(domain, ascii);
    if (ascii.empty()) return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = domain.find(u'.', start);
    std::u16string_view label = domain.substr(
        start, dot == std::u16string_view::npos ? std::u16string_view::npos : dot - start);
    // An ASCII label is its own length; punycode.toASCII also splits at the ideographic and
    // fullwidth full stops, which are not ASCII.
    const bool ascii = std::all_of(label.begin(), label.end(), [](char16_t c) { return c < 0x80; });
    size_t length = ascii ? label.size() : 0, part_start = 0;
    while (!ascii) {
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

bool is_invalid_char(char16_t c) {
  return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF;
}

int weight_of(char32_t c, const Config& config) {
  for (const WeightRange& r : config.ranges)
    if (c >= r.start && c <= r.end) return r.weight;
  return config.default_weight;
}

bool same_weights(const Config& a, const Config& b) {
  if (a.default_weight != b.default_weight || a.emoji_parsing != b.emoji_parsing ||
      a.ranges.size() != b.ranges.size())
    return false;
  for (size_t i = 0; i < a.ranges.size(); ++i)
    if (a.ranges[i].start != b.ranges[i].start || a.ranges[i].end != b.ranges[i].end ||
        a.ranges[i].weight != b.ranges[i].weight)
      return false;
  return true;
}

/// What each UTF-16 unit weighs under one configuration, or 0 for a unit that needs a closer
/// look: a surrogate, an invalid character, or (with emoji parsing) the start of an emoji.
struct UnitWeights {
  Config config;
  std::array<uint8_t, 0x10000> weight{};

  explicit UnitWeights(Config c) : config(std::move(c)) {
    const EmojiTable& emoji = emoji_table();
    for (char32_t u = 0; u < 0x10000; ++u) {
      int w = weight_of(u, config);
      bool closer = U16_IS_SURROGATE(u) || is_invalid_char(static_cast<char16_t>(u)) ||
                    (config.emoji_parsing && emoji.first_units[u]) || w <= 0 || w > 255;
      weight[u] = closer ? 0 : static_cast<uint8_t>(w);
    }
  }
};

/// The table for `config` when it weighs units as one of twitter-text's configurations does
/// (whatever its maximum length), else null.
const UnitWeights* unit_weights(const Config& config) {
  if (config.version == 1) {
    static const UnitWeights v1(Config::v1());
    if (same_weights(config, v1.config)) return &v1;
  }
  if (config.version == 2) {
    static const UnitWeights v2(Config::v2());
    if (same_weights(config, v2.config)) return &v2;
  }
  if (config.version == 3) {
    static const UnitWeights v3(Config::v3());
    if (same_weights(config, v3.config)) return &v3;
  }
  return nullptr;
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

/// A URL found: [start, end) in the text, and its value, `value` then `tail` (a domain placed
/// with indexOf can be an earlier occurrence than the one matched, so the value is not always
/// the text at [start, end)).
struct FoundUrl {
  size_t start;
  size_t end;
  std::u16string_view value;
  std::u16string_view tail;
};

/// Passes `found` the URL (or URLs: a protocol-less match may hold several domains) of the
/// match `m`.
template <typename Found>
void add_url(std::u16string_view text, const url::Match& m, bool without_protocol, Found&& found) {
  std::u16string_view before = text.substr(m.before, m.start - m.before);
  std::u16string_view url = text.substr(m.start, m.end - m.start);
  const size_t protocol = m.domain_start - m.start;
  std::u16string_view domain = text.substr(m.domain_start, m.domain_end - m.domain_start);

  // twitter-text's length limit: 4096 with the protocol (https:// when there is none).
  if (!valid_domain_labels(domain)) return;
  if ((protocol == 0 ? 8 : protocol) + url.size() > 4096) return;

  if (protocol == 0) {
    if (!without_protocol) return;
    if (!before.empty()) {
      char16_t last = before.back();
      if (last == u'-' || last == u'_' || last == u'.' || last == u'/') return;
    }
    // Only the ASCII domains in what was found are URLs. twitter-text places each one with
    // indexOf from the end of the one before, so a domain that also occurs earlier is placed
    // there; so is it here. The last one takes the path (and what follows it) along.
    thread_local std::vector<std::pair<size_t, size_t>> ascii;
    url::ascii_domains(domain, ascii);
    size_t search_from = 0;
    for (size_t k = 0; k < ascii.size(); ++k) {
      std::u16string_view name = domain.substr(ascii[k].first, ascii[k].second - ascii[k].first);
      size_t at = domain.find(name, search_from);
      search_from = at + name.size();
      const bool with_path = k + 1 == ascii.size() && m.path_end > m.path_start;
      found(FoundUrl{
          m.domain_start + at, with_path ? m.end : m.domain_start + search_from, name,
          with_path ? text.substr(m.domain_end, m.end - m.domain_end) : std::u16string_view()});
    }
    return;
  }
  // A t.co URL ends where its slug (and query) ends, and a slug longer than 40 is not one.
  size_t tco_end = 0, slug = 0;
  if (url::tco_link(url, tco_end, slug)) {
    if (slug > 40) return;
    url = url.substr(0, tco_end);
  }
  found(FoundUrl{m.start, m.start + url.size(), url, {}});
}

/// Passes `found` every URL in `text`, in order.
template <typename Found>
void find_urls(std::u16string_view text, bool without_protocol, Found&& found) {
  // Every URL has a dot, which the candidates are found from; one without a protocol is only
  // looked for when asked.
  if (!without_protocol && url::find_unit(text, u':') == std::u16string_view::npos) return;
  // The pattern is tried only where a URL can start, which gives the same matches as a scan
  // of every position at a fraction of the cost.
  url::Finder finder(text);
  size_t at = 0;  // where the previous match ended
  thread_local std::vector<std::pair<size_t, size_t>> ranges;
  url::candidates(text, ranges);
  for (const auto& [from, to] : ranges) {
    for (size_t start_at = std::max(at, from); start_at < to; ++start_at) {
      if (!url::may_start_at(text, start_at)) continue;
      std::optional<url::Match> m = finder.match_at(start_at);
      if (!m) continue;
      at = m->end;
      start_at = at - 1;
      add_url(text, *m, without_protocol, found);
    }
  }
}

}  // namespace

std::vector<Entity> extract_urls(std::u16string_view text, bool without_protocol) {
  std::vector<Entity> urls;
  find_urls(text, without_protocol, [&](const FoundUrl& u) {
    std::u16string value(u.value);
    value += u.tail;
    urls.push_back({u.start, u.end, std::move(value), {}});
  });
  return urls;
}

std::vector<Entity> extract_hashtags(std::u16string_view text) {
  std::vector<Entity> tags;
  if (!contains_any(text, u"#\uFF03")) return tags;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = alias(text);
  std::unique_ptr<icu::RegexMatcher> m(hashtag_pattern().matcher(input, status));
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
  std::unique_ptr<icu::RegexMatcher> m(mention_pattern().matcher(input, status));
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
  std::unique_ptr<icu::RegexMatcher> m(cashtag_pattern().matcher(input, status));
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
  const std::optional<std::u16string> normalized = nfc_if_changed(original);
  const std::u16string_view text = normalized ? std::u16string_view(*normalized) : original;
  // Where each URL starts and how long its value is (the part counted as 23).
  struct Span {
    size_t start;
    size_t length;
  };
  thread_local std::vector<Span> urls;
  urls.clear();
  find_urls(text, /*without_protocol=*/true, [](const FoundUrl& u) {
    urls.push_back({u.start, u.value.size() + u.tail.size()});
  });
  const EmojiTable& emoji_table = x::emoji_table();
  size_t next_url = 0;
  int64_t weighted = 0;
  size_t valid_display = 0;
  bool valid = true;
  const int64_t max = int64_t{config.max_weighted_length} * config.scale;
  const UnitWeights* weights = unit_weights(config);
  size_t url_start = urls.empty() ? std::u16string_view::npos : urls[0].start;
  const uint8_t* table = weights ? weights->weight.data() : nullptr;
  for (size_t i = 0; i < text.size(); ++i) {
    if (table) {
      // The common case: a run of units that start no URL or emoji, weighed by the table. The
      // last unit within the limit moves on while the text is valid and under it.
      const size_t stop = std::min(url_start, text.size());
      if (valid) {
        for (; i < stop && table[text[i]] != 0; ++i) {
          weighted += table[text[i]];
          valid_display = weighted <= max ? i : valid_display;
        }
      } else {
        for (; i < stop && table[text[i]] != 0; ++i) weighted += table[text[i]];
      }
      if (i >= text.size()) break;
    }
    size_t emoji = 0;
    if (next_url < urls.size() && urls[next_url].start == i) {
      weighted += int64_t{config.transformed_url_length} * config.scale;
      i += urls[next_url].length - 1;
    } else if (config.emoji_parsing && emoji_table.first_units[text[i]] &&
               (emoji = emoji_table.longest_at(text.substr(i))) > 0) {
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
    // The next URL that starts after what was just counted (overlapped ones are skipped).
    while (next_url < urls.size() && urls[next_url].start <= i) ++next_url;
    url_start = next_url < urls.size() ? urls[next_url].start : std::u16string_view::npos;
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
