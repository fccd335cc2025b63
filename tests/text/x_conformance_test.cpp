// twitter-text's conformance suite (tests/data/twitter-text, read as it is): the weighted length
// in each configuration the suite names, the legacy 140 rule, and extraction.
#include "text/unicode.hpp"
#include "text/x_text.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace herald::text::x {
namespace {

const std::string kData = TEST_DATA_DIR "/twitter-text/";

YAML::Node section(const std::string& file, const std::string& name) {
  YAML::Node tests = YAML::LoadFile(kData + file)["tests"][name];
  EXPECT_TRUE(tests && tests.IsSequence()) << file << " has no section " << name;
  return tests;
}

std::u16string u16(const YAML::Node& node) {
  auto text = to_utf16(node.as<std::string>());
  EXPECT_TRUE(text.has_value()) << "not UTF-8: " << node.as<std::string>();
  return text.value_or(u"");
}

std::string u8(const std::u16string& text) {
  return to_utf8(text);
}

size_t check_weighted(const std::string& name, const Config& config) {
  size_t cases = 0;
  for (const YAML::Node& test : section("validate.yml", name)) {
    ++cases;
    const std::string description = test["description"].as<std::string>();
    ParseResult r = parse(u16(test["text"]), config);
    const YAML::Node& e = test["expected"];
    EXPECT_EQ(r.weighted_length, e["weightedLength"].as<int>()) << description;
    EXPECT_EQ(r.valid, e["valid"].as<bool>()) << description;
    EXPECT_EQ(r.permillage, e["permillage"].as<int>()) << description;
    EXPECT_EQ(r.display_range_start, e["displayRangeStart"].as<int>()) << description;
    EXPECT_EQ(r.display_range_end, e["displayRangeEnd"].as<int>()) << description;
    EXPECT_EQ(r.valid_range_start, e["validRangeStart"].as<int>()) << description;
    EXPECT_EQ(r.valid_range_end, e["validRangeEnd"].as<int>()) << description;
  }
  return cases;
}

TEST(XConformance, WeightedLengthWithConfigV2) {
  EXPECT_GT(check_weighted("WeightedTweetsCounterTest", Config::v2()), 0u);
}

TEST(XConformance, WeightedLengthWithEmojiConfigV3) {
  EXPECT_GT(check_weighted("WeightedTweetsWithDiscountedEmojiCounterTest", Config::v3()), 0u);
}

TEST(XConformance, DirectionalMarkersWithTheDefaultConfig) {
  EXPECT_GT(check_weighted("UnicodeDirectionalMarkerCounterTest", Config::v3()), 0u);
}

TEST(XConformance, LegacyTweetsOf140) {
  for (const YAML::Node& test : section("validate.yml", "tweets"))
    EXPECT_EQ(valid_legacy_tweet(u16(test["text"])), test["expected"].as<bool>())
        << test["description"].as<std::string>();
}

/// Compares the values an extractor finds with a list of strings.
template <typename Extract>
void check_values(const std::string& name, Extract extract) {
  for (const YAML::Node& test : section("extract.yml", name)) {
    std::vector<std::string> found;
    for (const Entity& e : extract(u16(test["text"]))) found.push_back(u8(e.value));
    EXPECT_EQ(found, test["expected"].as<std::vector<std::string>>())
        << test["description"].as<std::string>() << ": " << test["text"].as<std::string>();
  }
}

/// Compares values and UTF-16 indices with a list of {key: value, indices: [a, b]}.
template <typename Extract>
void check_indices(const std::string& name, const std::string& key, Extract extract) {
  for (const YAML::Node& test : section("extract.yml", name)) {
    std::vector<std::string> found, expected;
    for (const Entity& e : extract(u16(test["text"])))
      found.push_back(u8(e.value) + u8(e.list_slug) + " " + std::to_string(e.start) + "-" +
                      std::to_string(e.end));
    for (const YAML::Node& e : test["expected"]) {
      std::string list = e["list_slug"] ? e["list_slug"].as<std::string>() : "";
      expected.push_back(e[key].as<std::string>() + list + " " +
                         std::to_string(e["indices"][0].as<int>()) + "-" +
                         std::to_string(e["indices"][1].as<int>()));
    }
    EXPECT_EQ(found, expected) << test["description"].as<std::string>() << ": "
                               << test["text"].as<std::string>();
  }
}

TEST(XConformance, ExtractsUrls) {
  check_values("urls", [](std::u16string_view t) { return extract_urls(t); });
  check_indices("urls_with_indices", "url", [](std::u16string_view t) { return extract_urls(t); });
  check_indices("urls_with_directional_markers", "url",
                [](std::u16string_view t) { return extract_urls(t); });
  check_values("tco_urls_with_params", [](std::u16string_view t) { return extract_urls(t); });
}

TEST(XConformance, ExtractsHashtags) {
  check_values("hashtags", [](std::u16string_view t) { return extract_hashtags(t); });
  check_values("hashtags_from_astral", [](std::u16string_view t) { return extract_hashtags(t); });
  check_indices("hashtags_with_indices", "hashtag",
                [](std::u16string_view t) { return extract_hashtags(t); });
}

TEST(XConformance, ExtractsMentions) {
  check_values("mentions", [](std::u16string_view t) { return extract_mentions(t); });
  check_indices("mentions_with_indices", "screen_name",
                [](std::u16string_view t) { return extract_mentions(t); });
  check_indices("mentions_or_lists_with_indices", "screen_name",
                [](std::u16string_view t) { return extract_mentions_or_lists(t); });
}

TEST(XConformance, ExtractsCashtags) {
  check_values("cashtags", [](std::u16string_view t) { return extract_cashtags(t); });
  check_indices("cashtags_with_indices", "cashtag",
                [](std::u16string_view t) { return extract_cashtags(t); });
}

}  // namespace
}  // namespace herald::text::x
