// Mastodon's status length rules (tests/data/mastodon/status-length.yml, read as it is).
#include "text/measure.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace herald::text {
namespace {

std::string join(const YAML::Node& pieces) {
  std::string out;
  if (!pieces) return out;
  for (const YAML::Node& piece : pieces)
    for (int i = 0, n = piece[1].as<int>(); i < n; ++i) out += piece[0].as<std::string>();
  return out;
}

TEST(MastodonConformance, StatusLength) {
  YAML::Node tests = YAML::LoadFile(TEST_DATA_DIR "/mastodon/status-length.yml")["tests"];
  ASSERT_TRUE(tests && tests.IsSequence());
  size_t cases = 0;
  for (const YAML::Node& test : tests) {
    ++cases;
    const std::string description = test["description"].as<std::string>();
    int64_t limit = test["limit"] ? test["limit"].as<int64_t>() : 0;
    auto m = measure(Network::mastodon, join(test["text"]), limit, join(test["spoiler"]));
    ASSERT_TRUE(m.is_ok()) << description;
    EXPECT_EQ(m->valid, test["valid"].as<bool>())
        << description << " (counted " << m->length << ")";
    if (test["length"]) {
      EXPECT_EQ(m->length, test["length"].as<int64_t>()) << description;
    }
    EXPECT_EQ(m->limit, limit > 0 ? limit : 500) << description;
  }
  EXPECT_EQ(cases, 15u);
}

}  // namespace
}  // namespace herald::text
