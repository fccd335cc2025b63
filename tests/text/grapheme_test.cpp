// Extended grapheme clusters by Unicode 17.0's rules against Unicode's own test lines and against
// the reference Bluesky counts with (Intl.Segmenter, Unicode 17.0), both read from
// tests/data/unicode-17 as they are.
#include "text/grapheme.hpp"
#include "text/measure.hpp"
#include "text/unicode.hpp"

#include <gtest/gtest.h>
#include <unicode/brkiter.h>
#include <unicode/unistr.h>
#include <nlohmann/json.hpp>

#include <memory>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace herald::text::grapheme {
namespace {

nlohmann::json read(const std::string& name) {
  std::ifstream in(TEST_DATA_DIR "/unicode-17/" + name);
  EXPECT_TRUE(in) << "cannot open " << name;
  return nlohmann::json::parse(in);
}

const nlohmann::json& sweep() {
  static const nlohmann::json data = read("grapheme-sweep.json");
  return data;
}

std::u16string from_code_points(const std::vector<uint32_t>& code_points) {
  std::u16string text;
  for (uint32_t cp : code_points) {
    if (cp > 0xFFFF) {
      text += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
      text += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      text += static_cast<char16_t>(cp);  // a lone surrogate stays one
    }
  }
  return text;
}

/// Every boundary, 0 and the end included, walked with next_boundary.
std::vector<size_t> walk(std::u16string_view text) {
  std::vector<size_t> boundaries{0};
  for (size_t at = 0; at < text.size();) boundaries.push_back(at = next_boundary(text, at));
  return boundaries;
}

/// Every way the API answers agrees with `want` (all boundaries, 0 and the end included).
void expect_boundaries(std::u16string_view text, const std::vector<size_t>& want,
                       const std::string& what) {
  EXPECT_EQ(count(text), want.size() - 1) << what;
  EXPECT_EQ(walk(text), want) << what;
  for (size_t offset = 0; offset <= text.size(); ++offset) {
    const bool listed = std::find(want.begin(), want.end(), offset) != want.end();
    EXPECT_EQ(is_boundary(text, offset), listed) << what << " at " << offset;
    const size_t floor = *(std::upper_bound(want.begin(), want.end(), offset) - 1);
    EXPECT_EQ(boundary_at_or_before(text, offset), floor) << what << " at " << offset;
  }
}

TEST(Grapheme, GivesTheBreaksOfEveryUnicodeTestLine) {
  const nlohmann::json data = read("GraphemeBreakTest.json");
  // Lines whose code points changed class in Unicode 17.0 are answered by the sweep instead.
  const auto changed = data.at("changed_in_17").get<std::vector<std::string>>();
  size_t checked = 0;
  for (const std::string line : data.at("GraphemeBreakTest")) {
    if (std::find(changed.begin(), changed.end(), line) != changed.end()) continue;
    // "÷ 0020 × 0308 ÷": ÷ a boundary, × none, between hexadecimal code points.
    std::istringstream tokens(line);
    std::u16string text;
    std::vector<size_t> want;
    for (std::string token; tokens >> token;) {
      if (token == "÷")
        want.push_back(text.size());
      else if (token != "×")
        text += from_code_points({static_cast<uint32_t>(std::stoul(token, nullptr, 16))});
    }
    expect_boundaries(text, want, line);
    ++checked;
  }
  EXPECT_EQ(checked + changed.size(), data.at("GraphemeBreakTest").size());
  EXPECT_GT(checked, 1000u);
}

TEST(Grapheme, AgreesWithTheReferenceOnEverySweepText) {
  size_t checked = 0;
  for (const auto& entry : sweep().at("entries")) {
    const std::u16string text = from_code_points(entry.at("text").get<std::vector<uint32_t>>());
    const auto want = entry.at("boundaries").get<std::vector<size_t>>();
    ASSERT_EQ(entry.at("count").get<size_t>(), want.size() - 1);
    expect_boundaries(text, want,
                      entry.at("kind").get<std::string>() + " " + entry.at("text").dump());
    ++checked;
  }
  EXPECT_GT(checked, 5000u);
}

// Khmer and Myanmar join consonants with a linker since Unicode 17.0: the counts Bluesky's limit
// is held to, through the functions the measuring code calls.
TEST(Grapheme, CountsKhmerAndMyanmarConjunctsAsTheReferenceDoes) {
  size_t checked = 0;
  for (const auto& entry : sweep().at("entries")) {
    const std::string kind = entry.at("kind");
    if (kind != "text-Khmer" && kind != "text-Myanmar") continue;
    const std::u16string text = from_code_points(entry.at("text").get<std::vector<uint32_t>>());
    const size_t reference = entry.at("count");
    EXPECT_EQ(text::grapheme_count(text), reference) << kind;
    EXPECT_LT(reference, code_point_count(text)) << kind << ": conjuncts join code points";
    ++checked;
  }
  EXPECT_EQ(checked, 2u);
}

/// What the system ICU's character break iterator counts in `text`.
size_t icu_count(std::u16string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  icu::UnicodeString source(false, text.data(), static_cast<int32_t>(text.size()));
  it->setText(source);
  size_t n = 0;
  while (it->next() != icu::BreakIterator::DONE) ++n;
  return n;
}

// Bluesky's limit is held to Unicode 17's count (its client's); Mastodon's to the count of the
// servers' Unicode 15 rules, which split these conjuncts: the same text counts differently.
TEST(Grapheme, BlueskyCountsByUnicode17AndMastodonByItsServersRules) {
  size_t checked = 0;
  for (const auto& entry : sweep().at("entries")) {
    const std::string kind = entry.at("kind");
    if (kind != "text-Khmer" && kind != "text-Myanmar") continue;
    const std::u16string text = from_code_points(entry.at("text").get<std::vector<uint32_t>>());
    const std::string utf8 = to_utf8(text);
    auto bluesky = measure(Network::bluesky, utf8);
    auto mastodon = measure(Network::mastodon, utf8);
    ASSERT_TRUE(bluesky && mastodon);
    EXPECT_EQ(bluesky->length, entry.at("count").get<int64_t>()) << kind;
    EXPECT_EQ(bluesky->graphemes, bluesky->length) << kind;
    EXPECT_EQ(mastodon->length, static_cast<int64_t>(icu_count(text))) << kind;
    EXPECT_GT(mastodon->length, bluesky->length) << kind << ": Unicode 15 splits the conjuncts";
    ++checked;
  }
  EXPECT_EQ(checked, 2u);
}

TEST(Grapheme, CountsAsciiRunsAndCrLf) {
  EXPECT_EQ(count(u""), 0u);
  EXPECT_EQ(count(u"ab\r\ncd"), 5u);
  EXPECT_EQ(count(u"a\u0308b"), 2u);
  EXPECT_EQ(boundary_at_or_before(u"a\r\nb", 2), 1u);
  EXPECT_EQ(next_boundary(u"a\r\nb", 1), 3u);
}

}  // namespace
}  // namespace herald::text::grapheme
