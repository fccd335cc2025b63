// Every network's counting on the texts that break naive code: empty, not UTF-8, and 1 MB.
#include "text/measure.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::text {
namespace {

class EveryNetwork : public testing::TestWithParam<Network> {};

TEST_P(EveryNetwork, EmptyTextIsCountedAsZeroAndRefused) {
  auto m = measure(GetParam(), "");
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->length, 0);
  EXPECT_FALSE(m->valid) << "no network accepts an empty post without media";
  auto found = entities(GetParam(), "");
  ASSERT_TRUE(found.is_ok());
  EXPECT_TRUE(found->empty());
}

TEST_P(EveryNetwork, InvalidUtf8IsAnErrorNotACrash) {
  for (std::string bad : {std::string("caf\xC3"), std::string("\xFF\xFE"),
                          std::string("\xED\xA0\x80"),  // a UTF-16 surrogate written as UTF-8
                          std::string("\xC0\xAF")}) {   // overlong "/"
    auto m = measure(GetParam(), bad);
    ASSERT_FALSE(m.is_ok());
    EXPECT_NE(m.status().message().find("not valid UTF-8"), std::string::npos);
    EXPECT_FALSE(entities(GetParam(), bad).is_ok());
    EXPECT_FALSE(break_opportunities(GetParam(), bad).is_ok());
  }
}

TEST_P(EveryNetwork, OneMegabyteIsCountedAndTooLong) {
  const std::string piece =
      "Caf\xC3\xA9 #launch @team.example.com https://example.com/x \xF0\x9F\x9A\x80 ";
  std::string text;
  size_t pieces = 0;
  for (; text.size() < (1u << 20); ++pieces) text += piece;
  auto m = measure(GetParam(), text);
  ASSERT_TRUE(m.is_ok());
  EXPECT_FALSE(m->valid);
  EXPECT_GT(m->length, m->limit);
  EXPECT_EQ(m->bytes, static_cast<int64_t>(text.size()));
  auto breaks = break_opportunities(GetParam(), text);
  ASSERT_TRUE(breaks.is_ok());
  // Each piece may be split before each of its five words, never inside the link.
  EXPECT_EQ(breaks->size(), pieces * 5 - 1);
}

INSTANTIATE_TEST_SUITE_P(Networks, EveryNetwork,
                         testing::Values(Network::x, Network::mastodon, Network::bluesky,
                                         Network::linkedin),
                         [](const testing::TestParamInfo<Network>& info) {
                           return std::string(network_name(info.param));
                         });

}  // namespace
}  // namespace herald::text
