// The AT Protocol reference client's rich-text cases (tests/data/atproto/richtext-vectors.json,
// read as it is): facet detection with UTF-8 byte offsets, hashtags, cashtags, lengths and
// grapheme counts.
#include "text/bluesky.hpp"
#include "text/measure.hpp"
#include "text/unicode.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace herald::text::bluesky {
namespace {

const nlohmann::json& vectors() {
  static const nlohmann::json data = [] {
    std::ifstream in(TEST_DATA_DIR "/atproto/richtext-vectors.json");
    EXPECT_TRUE(in) << "cannot open richtext-vectors.json";
    return nlohmann::json::parse(in);
  }();
  return data;
}

std::vector<Facet> detect(const std::string& utf8) {
  auto text = to_utf16(utf8);
  EXPECT_TRUE(text.has_value()) << "not UTF-8: " << utf8;
  return detect_facets(text.value_or(u""));
}

std::string describe(const std::vector<Facet>& facets) {
  std::string out;
  for (const Facet& f : facets)
    out += std::string(facet_type_name(f.type)) + " " + f.value + " [" +
           std::to_string(f.byte_start) + "," + std::to_string(f.byte_end) + ") ";
  return out.empty() ? "(none)" : out;
}

TEST(BlueskyConformance, DetectsMentionsAndLinksWithByteOffsets) {
  size_t cases = 0;
  for (const auto& test : vectors().at("detect_segments")) {
    ++cases;
    const std::string input = test.at("input");
    std::vector<Facet> got = detect(input);
    std::vector<Facet> want;
    for (const auto& segment : test.at("segments")) {
      if (!segment.contains("facet_value")) continue;
      std::string value = segment.at("facet_value");
      // The reference test resolves each handle to a made-up DID: did:fake:<handle>.
      const std::string fake = "did:fake:";
      bool mention = value.rfind(fake, 0) == 0;
      want.push_back({segment.at("byteStart"), segment.at("byteEnd"),
                      mention ? FacetType::mention : FacetType::link,
                      mention ? value.substr(fake.size()) : value});
      EXPECT_EQ(input.substr(want.back().byte_start, want.back().byte_end - want.back().byte_start),
                segment.at("text").get<std::string>());
    }
    EXPECT_EQ(describe(got), describe(want)) << "input: " << input;
  }
  EXPECT_EQ(cases, 40u);
}

void check_tags(const char* section, size_t expected_cases) {
  size_t cases = 0;
  for (const auto& test : vectors().at(section)) {
    ++cases;
    const std::string input = test.at("input");
    std::vector<Facet> want;
    const auto& tags = test.at("tags");
    const auto& indices = test.at("indices");
    ASSERT_EQ(tags.size(), indices.size()) << input;
    for (size_t i = 0; i < tags.size(); ++i)
      want.push_back({indices[i].at("byteStart"), indices[i].at("byteEnd"), FacetType::tag,
                      tags[i].get<std::string>()});
    EXPECT_EQ(describe(detect(input)), describe(want)) << "input: " << input;
  }
  EXPECT_EQ(cases, expected_cases);
}

TEST(BlueskyConformance, Hashtags) {
  check_tags("tags", 39);
}

TEST(BlueskyConformance, Cashtags) {
  check_tags("cashtags", 18);
}

TEST(BlueskyConformance, LengthsInBytesAndGraphemes) {
  for (const auto& test : vectors().at("richtext_lengths")) {
    const std::string text = test.at("text");
    auto m = measure(Network::bluesky, text);
    ASSERT_TRUE(m.is_ok()) << text;
    EXPECT_EQ(m->bytes, test.at("utf8_length").get<int64_t>()) << text;
    EXPECT_EQ(m->graphemes, test.at("graphemes").get<int64_t>()) << text;
    EXPECT_EQ(m->length, m->graphemes) << text;
  }
  for (const auto& test : vectors().at("grapheme_len")) {
    auto m = measure(Network::bluesky, test.at(0).get<std::string>());
    ASSERT_TRUE(m.is_ok());
    EXPECT_EQ(m->graphemes, test.at(1).get<int64_t>()) << test.at(0).get<std::string>();
  }
}

TEST(BlueskyConformance, FacetsOverEmojiUseUtf8Offsets) {
  const auto& segments = vectors().at("segments_utf8");
  const std::string text = segments.at("text");
  // Each emoji-terminated word is one segment; the detector finds none of them, so check the
  // byte arithmetic through the UTF-16 to UTF-8 conversion the facets use.
  auto u16 = to_utf16(text);
  ASSERT_TRUE(u16.has_value());
  size_t word = 0, start16 = 0;
  for (const auto& facet : segments.at("facets")) {
    size_t end16 = u16->find(u' ', start16);
    if (end16 == std::u16string::npos) end16 = u16->size();
    EXPECT_EQ(utf8_length(std::u16string_view(*u16).substr(0, start16)), facet.at(0).get<size_t>())
        << "segment " << word;
    EXPECT_EQ(utf8_length(std::u16string_view(*u16).substr(0, end16)), facet.at(1).get<size_t>())
        << "segment " << word;
    start16 = end16 + 1;
    ++word;
  }
  EXPECT_EQ(word, 3u);

  const auto& entities = vectors().at("utf16_entity_to_utf8_facet");
  auto family = to_utf16(entities.at("text").get<std::string>());
  ASSERT_TRUE(family.has_value());
  const auto& from = entities.at("entities_utf16");
  const auto& to = entities.at("facets_utf8");
  ASSERT_EQ(from.size(), to.size());
  for (size_t i = 0; i < from.size(); ++i)
    for (size_t k = 0; k < 2; ++k)
      EXPECT_EQ(utf8_length(std::u16string_view(*family).substr(0, from[i][k].get<size_t>())),
                to[i][k].get<size_t>());
}

TEST(BlueskyConformance, ThreeHundredFamiliesAreTooManyBytes) {
  std::string family = vectors().at("richtext_lengths").at(1).at("text");
  std::string text;
  for (int i = 0; i < 300; ++i) text += family;
  auto m = measure(Network::bluesky, text);
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->graphemes, 300);
  EXPECT_FALSE(m->valid);
}

}  // namespace
}  // namespace herald::text::bluesky
