// The reference detector is four JavaScript regular expressions run over UTF-16 text. They are
// small enough to follow by hand, which keeps their exact edge cases (where a match may start,
// how far it backtracks, where the scan resumes) visible here, and is much faster than a
// general regex engine.
#include "text/bluesky.hpp"

#include "text/unicode.hpp"

#include <unicode/uchar.h>
#include <unicode/utf16.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_set>

namespace herald::text::bluesky {
namespace {

constexpr const char* kTldData =
#include "tlds.json.inc"
    ;

/// The npm `tlds` list the reference detector checks domains and handles against.
const std::unordered_set<std::u16string>& tlds() {
  static const std::unordered_set<std::u16string> set = [] {
    std::unordered_set<std::u16string> out;
    for (const auto& tld : nlohmann::json::parse(kTldData))
      out.insert(*to_utf16(tld.get<std::string>()));
    return out;
  }();
  return set;
}

/// isValidDomain: the text after the last dot is a TLD, compared case-sensitively as the
/// reference does.
bool valid_domain(std::u16string_view host) {
  size_t dot = host.rfind(u'.');
  if (dot == std::u16string_view::npos) return false;
  return tlds().count(std::u16string(host.substr(dot + 1))) > 0;
}

/// JavaScript's `\s`.
bool js_space(char16_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF: return true;
    default: return c >= 0x2000 && c <= 0x200A;
  }
}

/// What `^` matches after in a multi-line JavaScript pattern.
bool line_terminator(char16_t c) {
  return c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029;
}

bool ascii_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool ascii_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool ascii_alnum(char32_t c) {
  return ascii_letter(c) || ascii_digit(c);
}
bool word_char(char32_t c) {
  return ascii_alnum(c) || c == '_';
}

/// Characters that end a hashtag besides whitespace (zero-width and invisible marks).
bool tag_stop(char32_t c) {
  return c == 0xAD || c == 0x2060 || c == 0x200A || c == 0x200B || c == 0x200C || c == 0x200D ||
         c == 0x20E2;
}

bool ends_with(std::u16string_view s, std::u16string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Found {
  size_t start;  // UTF-16
  size_t end;
  FacetType type;
  std::u16string value;
};

/// `(^|\s|\()@([a-zA-Z0-9.-]+)\b`, then the handle must end in a TLD or `.test`.
void mentions(std::u16string_view t, std::vector<Found>& out) {
  auto handle_char = [](char16_t c) { return ascii_alnum(c) || c == '.' || c == '-'; };
  auto boundary = [&](size_t p) {
    bool before = p > 0 && word_char(t[p - 1]);
    bool after = p < t.size() && word_char(t[p]);
    return before != after;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    size_t at;
    if (i == 0 && t[0] == u'@')
      at = 0;
    else if ((js_space(t[i]) || t[i] == u'(') && i + 1 < t.size() && t[i + 1] == u'@')
      at = i + 1;
    else
      continue;
    size_t end = at + 1;
    while (end < t.size() && handle_char(t[end])) ++end;
    while (end > at + 1 && !boundary(end)) --end;  // the pattern backtracks to a word boundary
    if (end == at + 1) continue;
    std::u16string_view handle = t.substr(at + 1, end - at - 1);
    if (valid_domain(handle) || ends_with(handle, u".test"))
      out.push_back({at, end, FacetType::mention, std::u16string(handle)});
    i = end - 1;  // the scan resumes after the match, kept or not
  }
}

/// `(^|\s|\()(https?://\S+ | [a-z][a-z0-9]*(\.[a-z0-9]+)+\S*)`, case-insensitive, multi-line.
void links(std::u16string_view t, std::vector<Found>& out) {
  auto lower = [](char16_t c) { return c >= 'A' && c <= 'Z' ? char16_t(c + 32) : c; };
  auto non_space_run = [&](size_t p) {
    while (p < t.size() && !js_space(t[p])) ++p;
    return p;
  };
  // Returns the end of a match of the second group at `s` (0 when none) and where the domain
  // of a scheme-less match ends (0 for a match with a scheme).
  auto match_at = [&](size_t s, size_t& domain_end) -> size_t {
    domain_end = 0;
    auto has = [&](size_t p, std::u16string_view lit) {
      if (p + lit.size() > t.size()) return false;
      for (size_t k = 0; k < lit.size(); ++k)
        if (lower(t[p + k]) != lit[k]) return false;
      return true;
    };
    if (has(s, u"http")) {
      size_t p = s + 4;
      if (p < t.size() && lower(t[p]) == u's' && has(p + 1, u"://"))
        p += 4;
      else if (has(p, u"://"))
        p += 3;
      else
        p = 0;
      if (p != 0 && p < t.size() && !js_space(t[p])) return non_space_run(p);
    }
    if (s >= t.size() || !ascii_letter(t[s])) return 0;
    size_t p = s + 1;
    while (p < t.size() && ascii_alnum(t[p])) ++p;
    size_t labels = 0;
    while (p + 1 < t.size() && t[p] == u'.' && ascii_alnum(t[p + 1])) {
      p += 2;
      while (p < t.size() && ascii_alnum(t[p])) ++p;
      ++labels;
    }
    if (labels == 0) return 0;
    domain_end = p;
    return non_space_run(p);
  };
  for (size_t i = 0; i < t.size(); ++i) {
    size_t s = i, domain_end = 0, end = 0;
    if (i == 0 || line_terminator(t[i - 1])) end = match_at(s, domain_end);
    if (end == 0 && (js_space(t[i]) || t[i] == u'(')) end = match_at(s = i + 1, domain_end);
    if (end == 0) continue;
    i = end - 1;  // the scan resumes after the match, kept or not
    std::u16string uri(t.substr(s, end - s));
    if (uri.rfind(u"http", 0) != 0) {
      // A scheme written in capitals matched the first branch, which has no domain.
      if (domain_end == 0 || !valid_domain(t.substr(s, domain_end - s))) continue;
      uri.insert(0, u"https://");
    }
    if (std::u16string_view(u".,;:!?").find(uri.back()) != std::u16string_view::npos) {
      uri.pop_back();
      --end;
    }
    if (uri.back() == u')' && uri.find(u'(') == std::u16string::npos) {
      uri.pop_back();
      --end;
    }
    out.push_back({s, end, FacetType::link, std::move(uri)});
  }
}

/// `(^|\s)[#＃]((?!\ufe0f)[^\s STOP]*[^\d\s\p{P} STOP]+[^\s STOP]*)?` over code points, then
/// trailing punctuation is dropped and a tag longer than 64 UTF-16 units is ignored.
void tags(std::u16string_view t, std::vector<Found>& out) {
  const size_t n = t.size();
  for (size_t i = 0; i < n; ++i) {
    size_t hash;
    auto is_hash = [&](size_t p) { return p < n && (t[p] == u'#' || t[p] == u'\uFF03'); };
    if (i == 0 && is_hash(0))
      hash = 0;
    else if (js_space(t[i]) && is_hash(i + 1))
      hash = i + 1;
    else
      continue;
    size_t body = hash + 1;
    i = body - 1;  // without a body the match is the sign alone
    if (body < n && t[body] == 0xFE0F) continue;
    size_t end = body;
    bool has_word = false;
    while (end < n) {
      size_t next = end;
      char32_t c;
      U16_NEXT(t.data(), next, n, c);
      if ((c < 0x10000 && js_space(static_cast<char16_t>(c))) || tag_stop(c)) break;
      if (!ascii_digit(c) && !u_ispunct(c)) has_word = true;
      end = next;
    }
    if (!has_word) continue;
    i = end - 1;
    // Trailing punctuation is not part of the tag.
    size_t tag_end = end;
    while (tag_end > body) {
      size_t prev = tag_end;
      char32_t c;
      U16_PREV(t.data(), body, prev, c);
      if (!u_ispunct(c)) break;
      tag_end = prev;
    }
    size_t length = tag_end - body;
    if (length == 0 || length > 64) continue;
    out.push_back({hash, tag_end, FacetType::tag, std::u16string(t.substr(body, length))});
  }
}

/// `(^|\s|\()\$([A-Za-z][A-Za-z0-9]{0,4})(?=\s|$|[.,;:!?)"'’])`, upper-cased, as a tag.
void cashtags(std::u16string_view t, std::vector<Found>& out) {
  const size_t n = t.size();
  for (size_t i = 0; i < n; ++i) {
    size_t dollar;
    if (i == 0 && t[0] == u'$')
      dollar = 0;
    else if ((js_space(t[i]) || t[i] == u'(') && i + 1 < n && t[i + 1] == u'$')
      dollar = i + 1;
    else
      continue;
    size_t p = dollar + 1;
    if (p >= n || !ascii_letter(t[p])) continue;
    size_t end = p + 1;
    while (end < n && ascii_alnum(t[end])) ++end;
    if (end - p > 5) continue;
    if (end < n && !js_space(t[end]) &&
        std::u16string_view(u".,;:!?)\"'\u2019").find(t[end]) == std::u16string_view::npos)
      continue;
    std::u16string ticker = u"$";
    for (size_t k = p; k < end; ++k)
      ticker += t[k] >= u'a' && t[k] <= u'z' ? char16_t(t[k] - 32) : t[k];
    out.push_back({dollar, end, FacetType::tag, std::move(ticker)});
    i = end - 1;
  }
}

}  // namespace

std::string_view facet_type_name(FacetType type) {
  switch (type) {
    case FacetType::link: return "link";
    case FacetType::mention: return "mention";
    case FacetType::tag: return "tag";
  }
  return "link";
}

std::vector<Facet> detect_facets(std::u16string_view text) {
  std::vector<Found> found;
  mentions(text, found);
  links(text, found);
  tags(text, found);
  cashtags(text, found);
  std::vector<Facet> facets;
  if (found.empty()) return facets;
  const std::vector<size_t> bytes = utf8_offsets(text);
  facets.reserve(found.size());
  for (Found& f : found) facets.push_back({bytes[f.start], bytes[f.end], f.type, to_utf8(f.value)});
  std::stable_sort(facets.begin(), facets.end(),
                   [](const Facet& a, const Facet& b) { return a.byte_start < b.byte_start; });
  return facets;
}

}  // namespace herald::text::bluesky
