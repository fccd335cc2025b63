// X's URL matcher and weighted length against twitter-text itself, on texts built from what
// URLs are made of: tests/data/twitter-text/x-url-cases.jsonl holds the URLs twitter-text 3.1.0
// found in each text and what its parseTweet said, and x-url-dense-cases.jsonl the same for
// longer texts of many short labels and dots (both made by tests/bench/text/make-url-cases.js).
#include "text/unicode.hpp"
#include "text/x_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace herald::text::x {
namespace {

class XUrls : public testing::TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(Cases, XUrls, testing::Values("x-url-cases", "x-url-dense-cases"),
                         [](const auto& info) {
                           return std::string(info.param) == "x-url-cases" ? "Mixed" : "Dense";
                         });

TEST_P(XUrls, FindsWhatTwitterTextFinds) {
  std::ifstream in(TEST_DATA_DIR "/twitter-text/" + std::string(GetParam()) + ".jsonl");
  ASSERT_TRUE(in) << "missing " << GetParam() << ".jsonl";
  std::string line;
  size_t cases = 0, with_urls = 0, differing = 0;
  while (std::getline(in, line)) {
    nlohmann::json c = nlohmann::json::parse(line);
    const std::string text = c["text"].get<std::string>();
    std::optional<std::u16string> utf16 = to_utf16(text);
    ASSERT_TRUE(utf16) << text;
    nlohmann::json found = nlohmann::json::array();
    for (const Entity& url : extract_urls(*utf16))
      found.push_back({url.start, url.end, to_utf8(url.value)});
    ++cases;
    if (!c["urls"].empty()) ++with_urls;
    if (found != c["urls"] && ++differing <= 10)
      ADD_FAILURE() << "text " << nlohmann::json(text).dump() << "\n  twitter-text: " << c["urls"]
                    << "\n  herald:       " << found;
  }
  EXPECT_EQ(differing, 0u) << "of " << cases << " texts";
  EXPECT_GT(with_urls, 400u) << "the cases should hold many URLs";
}

TEST_P(XUrls, WeighsTheseTextsAsTwitterTextDoes) {
  std::ifstream in(TEST_DATA_DIR "/twitter-text/" + std::string(GetParam()) + ".jsonl");
  ASSERT_TRUE(in) << "missing " << GetParam() << ".jsonl";
  std::string line;
  size_t cases = 0, differing = 0;
  while (std::getline(in, line)) {
    nlohmann::json c = nlohmann::json::parse(line);
    const std::string text = c["text"].get<std::string>();
    ParseResult r = parse(to_utf16(text).value_or(u""));
    nlohmann::json got = {r.weighted_length, r.valid, r.permillage, r.valid_range_end};
    nlohmann::json want = {c["weightedLength"], c["valid"], c["permillage"], c["validRangeEnd"]};
    ++cases;
    if (got != want && ++differing <= 10)
      ADD_FAILURE() << "text " << nlohmann::json(text).dump() << "\n  twitter-text: " << want
                    << "\n  herald:       " << got;
  }
  EXPECT_EQ(differing, 0u) << "of " << cases << " texts";
  EXPECT_GT(cases, 500u);
}

}  // namespace
}  // namespace herald::text::x
