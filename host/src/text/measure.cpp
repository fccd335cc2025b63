#include "text/measure.hpp"

#include "text/icu.hpp"
#include "text/mastodon.hpp"
#include "text/unicode.hpp"
#include "text/x_text.hpp"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

namespace herald::text {
namespace {

/// Text [start, end) counts as `placeholder` characters (a URL) or as its first `keep` units.
struct Replacement {
  size_t start;
  size_t end;
  size_t placeholder;
  size_t keep;
};

/// Mastodon's countable text: auto-linked http(s) URLs become 23 characters, `@user@domain`
/// becomes `@user` (StatusLengthValidator).
std::u16string mastodon_countable(const std::u16string& text) {
  std::vector<Replacement> found;
  for (const x::Entity& url : x::extract_urls(text, /*without_protocol=*/false)) {
    // Only a URL that starts the text or follows a space is linked, and so discounted.
    if (url.start > 0 && !u_isUWhiteSpace(text[url.start - 1])) continue;
    found.push_back({url.start, url.end, 23, 0});
  }
  for (const mastodon::RemoteMention& m : mastodon::remote_mentions(text))
    found.push_back({m.start, m.end, 0, m.user_end - m.start});
  std::sort(found.begin(), found.end(),
            [](const Replacement& a, const Replacement& b) { return a.start < b.start; });
  std::u16string out;
  size_t at = 0;
  for (const Replacement& r : found) {
    if (r.start < at) continue;  // overlaps the previous entity
    out.append(text, at, r.start - at);
    if (r.placeholder > 0)
      out.append(r.placeholder, u'x');
    else
      out.append(text, r.start, r.keep);
    at = r.end;
  }
  out.append(text, at, std::u16string::npos);
  return out;
}

}  // namespace

Result<Network> parse_network(std::string_view name) {
  if (name == "x" || name == "twitter") return Network::x;
  if (name == "mastodon") return Network::mastodon;
  if (name == "bluesky") return Network::bluesky;
  if (name == "linkedin") return Network::linkedin;
  if (name == "plain" || name == "outbox" || name == "webhook") return Network::plain;
  return Status(ErrorCode::invalid_argument,
                "unknown network '" + std::string(name) +
                    "'; use one of x, mastodon, bluesky, linkedin, or plain (code points with no "
                    "limit, as outbox and webhook accounts count)");
}

std::string_view network_name(Network network) {
  switch (network) {
    case Network::x: return "x";
    case Network::mastodon: return "mastodon";
    case Network::bluesky: return "bluesky";
    case Network::linkedin: return "linkedin";
    case Network::plain: return "plain";
  }
  return "x";
}

int64_t default_limit(Network network) {
  switch (network) {
    case Network::x: return 280;
    case Network::mastodon: return 500;
    case Network::bluesky: return 300;
    case Network::linkedin: return 3000;
    case Network::plain: return 0;  // none
  }
  return 0;
}

Result<Measure> measure(Network network, std::string_view utf8, int64_t limit,
                        std::string_view spoiler, bool count_graphemes) {
  // The texts' UTF-16 storage is kept from one call to the next on each thread.
  thread_local std::u16string text_units, warning_units;
  if (!to_utf16(utf8, text_units))
    return Status(ErrorCode::invalid_argument, "the text is not valid UTF-8");
  if (!to_utf16(spoiler, warning_units))
    return Status(ErrorCode::invalid_argument, "the spoiler text is not valid UTF-8");
  const std::u16string* text = &text_units;
  const std::u16string* warning = &warning_units;
  Measure m;
  m.network = network;
  m.limit = limit > 0 ? limit : default_limit(network);
  // Bluesky's client counts by Unicode 17 (its ICU 78); Mastodon's servers by their Ruby's
  // Unicode 15, which splits virama conjuncts in Khmer, Myanmar and a few other scripts.
  if (network == Network::mastodon)
    m.graphemes = static_cast<int64_t>(system_grapheme_count(*text));
  else if (count_graphemes || network == Network::bluesky)
    m.graphemes = static_cast<int64_t>(grapheme_count(*text));
  m.bytes = static_cast<int64_t>(utf8.size());
  switch (network) {
    case Network::x: {
      thread_local x::Config config = x::Config::v3();  // made once per thread
      config.max_weighted_length = static_cast<int>(m.limit);
      x::ParseResult r = x::parse(*text, config);
      m.length = m.weighted_length = r.weighted_length;
      m.permillage = r.permillage;
      m.valid_range_end = r.valid_range_end;
      m.valid = r.valid;
      return m;
    }
    case Network::mastodon:
      m.length = static_cast<int64_t>(system_grapheme_count(*warning) +
                                      system_grapheme_count(mastodon_countable(*text)));
      m.valid = m.length <= m.limit && (m.length > 0);
      return m;
    case Network::bluesky:
      // 300 graphemes and 3000 bytes (app.bsky.feed.post `text`).
      m.length = m.graphemes;
      m.valid = m.graphemes > 0 && m.graphemes <= m.limit && m.bytes <= 3000;
      m.facets = bluesky::detect_facets(*text);
      return m;
    case Network::linkedin:
      m.length = static_cast<int64_t>(code_point_count(*text));
      m.valid = m.length > 0 && m.length <= m.limit;
      return m;
    case Network::plain:
      m.length = static_cast<int64_t>(code_point_count(*text));
      m.valid = m.length > 0 && (m.limit == 0 || m.length <= m.limit);
      return m;
  }
  return m;
}

namespace {

std::vector<TextEntity> entities_of(Network network, const std::u16string& text) {
  std::vector<TextEntity> out;
  if (network == Network::bluesky) {
    for (const bluesky::Facet& f : bluesky::detect_facets(text)) {
      std::string type = f.type == bluesky::FacetType::link      ? "url"
                         : f.type == bluesky::FacetType::mention ? "mention"
                         : f.value.rfind('$', 0) == 0            ? "cashtag"
                                                                 : "hashtag";
      std::string value = type == "cashtag" ? f.value.substr(1) : f.value;
      out.push_back({std::move(type), f.byte_start, f.byte_end, std::move(value)});
    }
    return out;
  }
  const std::vector<size_t> bytes = utf8_offsets(text);
  auto add = [&](const char* type, const std::vector<x::Entity>& found) {
    for (const x::Entity& e : found)
      out.push_back({type, bytes[e.start], bytes[e.end], to_utf8(e.value + e.list_slug)});
  };
  add("url", x::extract_urls(text, /*without_protocol=*/network == Network::x));
  add("mention", x::extract_mentions_or_lists(text));
  add("hashtag", x::extract_hashtags(text));
  add("cashtag", x::extract_cashtags(text));
  std::sort(out.begin(), out.end(),
            [](const TextEntity& a, const TextEntity& b) { return a.start < b.start; });
  return out;
}

}  // namespace

Result<std::vector<TextEntity>> entities(Network network, std::string_view utf8) {
  std::optional<std::u16string> text = to_utf16(utf8);
  if (!text) return Status(ErrorCode::invalid_argument, "the text is not valid UTF-8");
  return entities_of(network, *text);
}

Result<std::vector<size_t>> break_opportunities(Network network, std::string_view utf8) {
  std::optional<std::u16string> text = to_utf16(utf8);
  if (!text) return Status(ErrorCode::invalid_argument, "the text is not valid UTF-8");
  std::vector<size_t> out;
  if (text->empty()) return out;
  thread_local std::unique_ptr<icu::BreakIterator> lines = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createLineInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) throw std::runtime_error("ICU has no line break rules");
    return it;
  }();
  icu::UnicodeString source = alias(*text);
  lines->setText(source);
  const std::vector<size_t> bytes = utf8_offsets(*text);
  const std::vector<TextEntity> linked = entities_of(network, *text);
  size_t next_entity = 0;
  for (int32_t at = lines->next(); at != icu::BreakIterator::DONE; at = lines->next()) {
    size_t offset = bytes[static_cast<size_t>(at)];
    if (offset >= utf8.size()) break;
    while (next_entity < linked.size() && linked[next_entity].end <= offset) ++next_entity;
    if (next_entity < linked.size() && linked[next_entity].start < offset) continue;
    out.push_back(offset);
  }
  return out;
}

}  // namespace herald::text
