// Every configuration mistake is reported with file:line:column, the key path and what to do;
// secrets are named, never shown.
#include "config/config.hpp"
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace herald {
namespace {

const char* kValid = R"(herald: 1
accounts:
  corp:
    network: mastodon
    credentials:
      token: ${env:HERALD_TEST_TOKEN}
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
workflows:
  announce:
    steps:
      - kind: draft
        plugin: draft/check
        config:
          forbidden_words: [free]
      - kind: approve
        plugin: approve
        config: { role: marketing }
      - kind: publish
        plugin: outbox
)";

struct BadConfig {
  std::string name;
  std::string yaml;
  std::vector<std::string> message_parts;
};

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("fixture text not found: " + from);
  return text.replace(at, from.size(), to);
}

void PrintTo(const BadConfig& bad, std::ostream* out) {
  *out << bad.name;
}

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {
 protected:
  void SetUp() override { setenv("HERALD_TEST_TOKEN", "s3cr3t-value", 1); }
};

TEST_P(ConfigErrors, SayWhatAndWhere) {
  const BadConfig& bad = GetParam();
  testing::TempDir dir;
  std::string path = dir.write("company.yaml", bad.yaml);
  HostOptions options;
  options.open_store = false;
  options.resolve_secrets = true;
  auto host = Host::open(path, options);
  ASSERT_FALSE(host) << bad.name << " was accepted";
  EXPECT_EQ(host.status().exit_code(), 3) << host.status().message();
  for (const auto& part : bad.message_parts)
    EXPECT_NE(host.status().message().find(part), std::string::npos)
        << "message:\n"
        << host.status().message() << "\nmissing: " << part;
  EXPECT_EQ(host.status().message().find("s3cr3t-value"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("company.db"))) << "nothing may be written";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(
        BadConfig{"malformed_yaml",
                  replace(kValid, "  corp:\n", "  corp: [unclosed\n"),
                  {"company.yaml:", "malformed YAML"}},
        BadConfig{"unknown_top_key",
                  replace(kValid, "herald: 1\n", "herald: 1\nworkflow:\n  x: 1\n"),
                  {"company.yaml:2:1", "unknown key 'workflow'", "did you mean 'workflows'?"}},
        BadConfig{"missing_version", replace(kValid, "herald: 1\n", ""), {"missing `herald: 1`"}},
        BadConfig{
            "unknown_account_key",
            replace(kValid, "    network: mastodon\n", "    network: mastodon\n    handel: x\n"),
            {"company.yaml:5:5", "accounts.corp.handel", "did you mean 'handle'?"}},
        BadConfig{"unknown_network",
                  replace(kValid, "network: mastodon", "network: mastadon"),
                  {"company.yaml:4:14", "unknown network 'mastadon'", "did you mean 'mastodon'?"}},
        BadConfig{"wrong_type",
                  replace(kValid, "config: { role: marketing }",
                          "config: { role: marketing, count: many }"),
                  {"company.yaml:19:", "'count'", "expected a whole number, got 'many'"}},
        BadConfig{"unknown_plugin",
                  replace(kValid, "plugin: outbox", "plugin: outbx"),
                  {"company.yaml:20:9", "unknown plugin 'outbx'", "did you mean 'outbox'?"}},
        BadConfig{"unknown_step_key",
                  replace(kValid, "forbidden_words: [free]", "forbiden_words: [free]"),
                  {"company.yaml:16:11", "unknown key 'forbiden_words'",
                   "did you mean 'forbidden_words'?"}},
        BadConfig{
            "missing_required",
            replace(kValid, "config: { role: marketing }", "config: {}"),
            {"company.yaml:19:17", "the chain needs `stages` (or `role` for a single stage)"}},
        BadConfig{"unknown_kind",
                  replace(kValid, "kind: approve", "kind: aprove"),
                  {"company.yaml:17:15", "unknown step kind 'aprove'", "did you mean 'approve'?"}},
        BadConfig{"inline_secret",
                  replace(kValid, "${env:HERALD_TEST_TOKEN}", "s3cr3t-value"),
                  {"company.yaml:6:14", "must not be written inline", "${env:NAME}"}},
        BadConfig{"missing_env_secret",
                  replace(kValid, "HERALD_TEST_TOKEN", "HERALD_TEST_MISSING_TOKEN"),
                  {"company.yaml:3:3", "HERALD_TEST_MISSING_TOKEN is not set"}},
        BadConfig{"unknown_timezone",
                  replace(kValid, "    network: mastodon\n",
                          "    network: mastodon\n    timezone: Mars/Olympus\n"),
                  {"company.yaml:5:15", "unknown time zone 'Mars/Olympus'"}},
        BadConfig{
            "plugin_refuses_config",
            replace(kValid, "config: { role: marketing }", "config: { role: marketing, count: 0 }"),
            {"company.yaml:19:", "plugin approve refused this configuration",
             "count must be at least 1"}},
        BadConfig{"no_workflows", "herald: 1\n", {"missing `workflows`"}}),
    [](const auto& info) { return info.param.name; });

TEST(Config, ReadsAValidFile) {
  testing::TempDir dir;
  auto config = load_configuration(dir.write("company.yaml", kValid));
  ASSERT_TRUE(config) << config.status().message();
  EXPECT_EQ(config->store_path, dir.file("company.db"));
  ASSERT_EQ(config->accounts.size(), 1u);
  EXPECT_EQ(config->accounts[0].char_limit, 500);
  ASSERT_EQ(config->workflows.size(), 1u);
  EXPECT_EQ(config->workflows[0].steps.size(), 3u);
}

TEST(Config, ResolvesFileSecretsRelativeToTheConfig) {
  testing::TempDir dir;
  dir.write("token.txt", "abc123\n");
  auto value = resolve_secret("${file:token.txt}", dir.path().string());
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, "abc123");
  auto missing = resolve_secret("${file:nope.txt}", dir.path().string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("nope.txt"), std::string::npos);
}

TEST(Config, SuggestsTheClosestName) {
  EXPECT_EQ(closest_match("workflow", {"workflows", "accounts", "people"}), "workflows");
  EXPECT_EQ(closest_match("zzzzzz", {"workflows", "accounts"}), "");
}

}  // namespace
}  // namespace herald
