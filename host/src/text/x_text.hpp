// X (Twitter) text rules, as twitter-text 3 defines them: the weighted length a post is checked
// against, and the URLs, hashtags, mentions and cashtags in a text. All offsets are UTF-16 code
// units, end exclusive (as twitter-text's `indices`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::text::x {

struct WeightRange {
  char32_t start;
  char32_t end;  // inclusive
  int weight;
};

/// twitter-text's configuration files v1, v2 and v3 (v3 is what X uses today).
struct Config {
  int version = 3;
  int max_weighted_length = 280;
  int scale = 100;
  int default_weight = 200;
  bool emoji_parsing = true;
  int transformed_url_length = 23;
  std::vector<WeightRange> ranges;

  static Config v1();
  static Config v2();
  static Config v3();
};

struct ParseResult {
  int weighted_length = 0;
  bool valid = false;
  int permillage = 0;
  int display_range_start = 0;
  int display_range_end = 0;  // inclusive, in the text as given (before NFC)
  int valid_range_start = 0;
  int valid_range_end = 0;  // inclusive
};

/// The weighted length and validity of a post (twitter-text `parseTweet`).
ParseResult parse(std::u16string_view text, const Config& config = Config::v3());

/// The legacy 140-character rule (twitter-text's `isValidTweetText` with config v1): every code
/// point weighs 1, URLs 23.
bool valid_legacy_tweet(std::u16string_view text);

struct Entity {
  size_t start = 0;
  size_t end = 0;
  std::u16string value;      // URL, hashtag (without #), screen name or cashtag (without $)
  std::u16string list_slug;  // mentions of a list: "/slug"
};

std::vector<Entity> extract_urls(std::u16string_view text, bool without_protocol = true);
std::vector<Entity> extract_hashtags(std::u16string_view text);
std::vector<Entity> extract_mentions_or_lists(std::u16string_view text);
std::vector<Entity> extract_mentions(std::u16string_view text);
std::vector<Entity> extract_cashtags(std::u16string_view text);

/// The emoji sequence twitter-text v3 counts as one character starting at `offset`, as its
/// length in UTF-16 units, or 0.
size_t emoji_at(std::u16string_view text, size_t offset);

}  // namespace herald::text::x
