// X's emoji weights against twitter-text itself: tests/data/twitter-text/emoji-cases.jsonl holds
// what twitter-text 3.1.0's parseTweet says of every base and skin tone that twemoji takes with
// or without U+FE0F, and of every sequence in Herald's emoji table, after 278 letters (where a
// weight of 2 is valid and 4 is not). Made by tests/bench/text/make-emoji-cases.js.
#include "text/unicode.hpp"
#include "text/x_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace herald::text::x {
namespace {

/// Compares every case of `kind` with Herald's parse; returns how many there were.
size_t compare_cases(const std::string& kind) {
  std::ifstream in(TEST_DATA_DIR "/twitter-text/emoji-cases.jsonl");
  EXPECT_TRUE(in) << "missing emoji-cases.jsonl";
  std::string line;
  size_t cases = 0, differing = 0;
  while (std::getline(in, line)) {
    nlohmann::json c = nlohmann::json::parse(line);
    if (c["kind"] != kind) continue;
    const std::string text =
        std::string(c["pad"].get<size_t>(), 'a') + c["emoji"].get<std::string>();
    ParseResult r = parse(to_utf16(text).value_or(u""));
    nlohmann::json got = {r.weighted_length, r.valid, r.permillage, r.valid_range_end};
    nlohmann::json want = {c["weightedLength"], c["valid"], c["permillage"], c["validRangeEnd"]};
    ++cases;
    if (got != want && ++differing <= 10)
      ADD_FAILURE() << c["pad"] << " letters and " << c["emoji"].dump()
                    << "\n  twitter-text: " << want << "\n  herald:       " << got;
  }
  EXPECT_EQ(differing, 0u) << "of " << cases << " " << kind << " texts";
  return cases;
}

TEST(XEmoji, EveryBaseAndSkinToneWithOrWithoutVariationSelectorWeighsAsTwitterText) {
  // Ten bases, five tones, with and without U+FE0F, alone and after 278 letters.
  EXPECT_EQ(compare_cases("skin-tone"), 200u);
}

TEST(XEmoji, EverySequenceOfTheEmojiTableWeighsAsTwitterText) {
  EXPECT_GT(compare_cases("table"), 3000u);
}

}  // namespace
}  // namespace herald::text::x
