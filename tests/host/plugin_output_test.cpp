// What a plugin hands back through the host API is checked, not trusted: text that is not UTF-8,
// too long, or a null pointer with a size fails the step with a message naming the plugin and
// the field, and nothing of it is stored, even when the plugin ignores the refusal and carries on.
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>

namespace herald {
namespace {

struct BadOutput {
  std::string field;  // the misbehaving plugin's `field` setting
  std::vector<std::string> message_parts;
};

void PrintTo(const BadOutput& bad, std::ostream* out) {
  *out << bad.field;
}

class PluginOutput : public ::testing::TestWithParam<BadOutput> {};

TEST_P(PluginOutput, IsRefusedAndTheStepFails) {
  const BadOutput& bad = GetParam();
  testing::TempDir dir;
  const std::string config =
      dir.write("company.yaml", std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                                    ", " + FIXTURE_DIR + "/misbehaving]\n" + R"(accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: misbehaving, config: { field: )" +
                                    bad.field + R"( } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  HostOptions options;
  options.clock = make_virtual_clock(1'800'000'000'000);
  auto host = Host::open(config, options);
  ASSERT_TRUE(host) << host.status().message();
  SubmitRequest request{};
  request.workflow = "announce";
  request.account = "corp";
  request.author = "ana";
  request.text = "Hello";
  auto id = (*host)->submit(request);
  ASSERT_TRUE(id) << id.status().message();
  auto ran = (*host)->run(RunOptions{});
  ASSERT_TRUE(ran) << ran.status().message();

  auto posts = (*host)->posts();
  ASSERT_TRUE(posts);
  ASSERT_EQ(posts->size(), 1u) << "a copy with a bad tag must not be stored";
  const PostView& post = posts->front();
  EXPECT_EQ(post.state, "failed") << post.reason;
  EXPECT_NE(post.reason.find("plugin 'misbehaving'"), std::string::npos) << post.reason;
  for (const std::string& part : bad.message_parts)
    EXPECT_NE(post.reason.find(part), std::string::npos)
        << "reason: " << post.reason << "\nmissing: " << part;
  EXPECT_EQ(post.text, "Hello");
  EXPECT_EQ(post.remote_id, "");
  EXPECT_EQ(post.stage, "");
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/corp.jsonl"))) << "nothing published";
}

INSTANTIATE_TEST_SUITE_P(
    Fields, PluginOutput,
    ::testing::Values(
        BadOutput{"reason", {"the reason is not valid UTF-8 (byte 3 of 4)"}},
        BadOutput{"tag", {"a new post's tags is not valid UTF-8"}},
        BadOutput{"remote_id", {"post field 'remote_id' is not valid UTF-8"}},
        BadOutput{"note", {"post field 'note' is not valid UTF-8"}},
        BadOutput{"text", {"post field 'text' is not valid UTF-8"}},
        BadOutput{"stage", {"post field 'stage' is not valid UTF-8"}},
        BadOutput{"null_text", {"post field 'text' is a null pointer with a size of 5"}},
        BadOutput{"huge_text",
                  {"post field 'text' is 1099511627776 bytes, more than the limit of 65536"}}),
    [](const auto& info) { return info.param.field; });

}  // namespace
}  // namespace herald
