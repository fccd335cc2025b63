// What each network counts: the number it compares with its limit, for one text.
#pragma once

#include "text/bluesky.hpp"
#include "text/little_text.hpp"

#include <herald/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::text {

/// `plain` is the rule of accounts whose network counts nothing (outbox, webhook): code points,
/// with no limit unless one is given.
enum class Network { x, mastodon, bluesky, linkedin, plain };

/// "x" (or "twitter"), "mastodon", "bluesky", "linkedin", "plain" (or "outbox", "webhook").
Result<Network> parse_network(std::string_view name);
std::string_view network_name(Network network);
/// The limit a network applies when the account says nothing else.
int64_t default_limit(Network network);

struct Measure {
  Network network = Network::x;
  int64_t length = 0;  // what the network compares with `limit`
  int64_t limit = 0;
  bool valid = false;
  int64_t graphemes = 0;               // when counted (see measure())
  int64_t bytes = 0;                   // UTF-8
  int64_t weighted_length = 0;         // X
  int64_t permillage = 0;              // X
  int64_t valid_range_end = 0;         // X: last UTF-16 unit within the limit
  std::vector<bluesky::Facet> facets;  // Bluesky
};

/// Counts `utf8` as `network` does. `limit` 0 means the network's default. `graphemes` is
/// counted for Mastodon and Bluesky, which count graphemes, and for X and LinkedIn only when
/// `count_graphemes` says so. Fails only for text that is not well-formed UTF-8.
Result<Measure> measure(Network network, std::string_view utf8, int64_t limit = 0,
                        std::string_view spoiler = {}, bool count_graphemes = true);

/// Something a network links in a text. Offsets are UTF-8 bytes, end exclusive.
struct TextEntity {
  std::string type;  // url, mention, hashtag, cashtag
  size_t start = 0;
  size_t end = 0;
  std::string value;  // the URL, handle (without @), tag (without #) or symbol (without $)
};

/// What `network` links in `utf8`, in text order: Bluesky's facets; twitter-text's URLs,
/// mentions, hashtags and cashtags for X; the same with only http(s) URLs for Mastodon and
/// LinkedIn.
Result<std::vector<TextEntity>> entities(Network network, std::string_view utf8);

/// Where `utf8` may be split into parts: the line-break opportunities of Unicode's line
/// breaking rules (never inside a word or a grapheme cluster, between ideographs) that are not
/// inside an entity of `network`. UTF-8 byte offsets, ascending, excluding 0 and the end.
Result<std::vector<size_t>> break_opportunities(Network network, std::string_view utf8);

// escape_little_text (LinkedIn) is in text/little_text.hpp.

}  // namespace herald::text
