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

/// The configuration with `timeout_seconds: SECONDS` on each of its steps.
std::string with_step_deadlines(std::string yaml, int seconds) {
  for (const char* kind : {"draft", "approve", "publish"}) {
    const std::string line = std::string("      - kind: ") + kind + "\n";
    yaml.replace(yaml.find(line), line.size(),
                 line + "        timeout_seconds: " + std::to_string(seconds) + "\n");
  }
  return yaml;
}

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
        BadConfig{"no_workflows", "herald: 1\n", {"missing `workflows`"}},
        // Settings that can only hurt.
        BadConfig{
            "lease_zero",
            replace(kValid, "herald: 1\n", "herald: 1\nengine: { lease_seconds: 0 }\n"),
            {"company.yaml:2:26 (engine.lease_seconds)", "must be from 1 to 604800", "got 0"}},
        BadConfig{"lease_negative",
                  replace(kValid, "herald: 1\n", "herald: 1\nengine: { lease_seconds: -5 }\n"),
                  {"company.yaml:2:26 (engine.lease_seconds)", "got -5"}},
        BadConfig{"max_attempts_negative",
                  replace(kValid, "herald: 1\n", "herald: 1\nengine: { max_attempts: -1 }\n"),
                  {"company.yaml:2:25 (engine.max_attempts)", "must be from 1 to 1000, got -1"}},
        BadConfig{"max_attempts_zero",
                  replace(kValid, "herald: 1\n", "herald: 1\nengine: { max_attempts: 0 }\n"),
                  {"company.yaml:2:25 (engine.max_attempts)", "got 0"}},
        BadConfig{"char_limit_negative",
                  replace(kValid, "    network: mastodon\n",
                          "    network: mastodon\n    char_limit: -5\n"),
                  {"company.yaml:5:17 (accounts.corp.char_limit)",
                   "must be from 0 (no limit) to 1000000, got -5"}},
        BadConfig{
            "lease_shorter_than_a_publish_timeout",
            replace(replace(with_step_deadlines(kValid, 10), "herald: 1\n",
                            "herald: 1\nengine: { lease_seconds: 20 }\n"),
                    "plugin: outbox", "plugin: mastodon\n        config: { timeout_seconds: 60 }"),
            {"company.yaml:26:36",
             "timeout_seconds (60) is not shorter than "
             "engine.lease_seconds (20)",
             "publish it again"}},
        BadConfig{"lease_shorter_than_a_default_timeout",
                  replace(replace(with_step_deadlines(kValid, 10), "herald: 1\n",
                                  "herald: 1\nengine: { lease_seconds: 20 }\n"),
                          "plugin: outbox", "plugin: mastodon"),
                  {"company.yaml:23:", "timeout_seconds (30, the default of mastodon)"}},
        BadConfig{"lease_shorter_than_a_step_deadline",
                  replace(kValid, "herald: 1\n", "herald: 1\nengine: { lease_seconds: 90 }\n"),
                  {"company.yaml:21:9 (workflows.announce.steps[2])",
                   "the deadline of step 'publish' (120 s, the default for publish steps) is not "
                   "shorter than engine.lease_seconds (90)"}},
        BadConfig{"step_deadline_zero",
                  with_step_deadlines(kValid, 0),
                  {"company.yaml:14:26 (workflows.announce.steps[0].timeout_seconds)",
                   "must be from 1 to 86400"}},
        BadConfig{"duplicate_top_key",
                  std::string(kValid) + "people:\n  zed: {}\n",
                  {"company.yaml:22:1 (people)",
                   "'people' is written twice in this mapping "
                   "(first at line 7, column 1)"}},
        BadConfig{"duplicate_account",
                  replace(kValid, "  corp:\n", "  corp: { network: x }\n  corp:\n"),
                  {"company.yaml:4:3 (accounts.corp)", "'corp' is written twice"}},
        BadConfig{"duplicate_step_setting",
                  replace(kValid, "config: { role: marketing }",
                          "config: { role: marketing, role: legal }"),
                  {"company.yaml:19:36", "'role' is written twice"}},
        BadConfig{"not_utf8",
                  replace(kValid, "    network: mastodon\n",
                          "    network: mastodon\n    handle: caf\xe9\n"),
                  {"company.yaml:5:16: byte 0xE9 is not UTF-8", "save the file as UTF-8"}},
        BadConfig{"nul_in_a_name",
                  replace(kValid, "  corp:\n", "  \"co\\0rp\":\n"),
                  {"company.yaml:3:3 (accounts)", "a name contains a NUL character"}},
        BadConfig{"line_break_in_a_tag",
                  replace(kValid, "config: { role: marketing }",
                          "config: { role: marketing }\n        when: { tag: \"a\\nb\" }"),
                  {"company.yaml:20:", "when.tag", "a tag is one word or phrase on one line"}}),
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

// A credential is one line: a CR or LF inside it (after ${env:}/${file:} resolution) would
// split an HTTP header. The error names the credential, never its value.
TEST(Config, ACredentialWithALineBreakIsRefusedWithoutItsValue) {
  testing::TempDir dir;
  setenv("HERALD_TEST_TOKEN", "s3cr3t-value\r\nX-Injected: 1", 1);
  HostOptions options;
  options.open_store = false;
  options.resolve_secrets = true;
  auto host = Host::open(dir.write("company.yaml", kValid), options);
  setenv("HERALD_TEST_TOKEN", "s3cr3t-value", 1);
  ASSERT_FALSE(host);
  EXPECT_EQ(host.status().exit_code(), 3);
  const std::string& message = host.status().message();
  EXPECT_NE(message.find("company.yaml:3:3 (accounts.corp): credential 'token': the value of "
                         "${env:HERALD_TEST_TOKEN} has a line break (CR or LF) inside it"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  EXPECT_EQ(message.find("X-Injected"), std::string::npos) << message;
}

// ${file:..} reads only inside the secret directories (by default the configuration's folder),
// whether the way out is `..`, an absolute path or a symlink; the file is never read or shown.
TEST(Config, FileSecretsAreReadOnlyFromTheSecretDirectories) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "deploy");
  dir.write("outside.txt", "s3cr3t-outside\n");
  dir.write("deploy/token.txt", "inside-token\n");
  std::filesystem::create_symlink(dir.path() / "outside.txt", dir.path() / "deploy/link.txt");
  const std::string with_token = replace(kValid, "${env:HERALD_TEST_TOKEN}", "TOKEN");
  HostOptions options;
  options.open_store = false;
  options.resolve_secrets = true;
  for (const std::string& reference :
       {std::string("${file:../outside.txt}"), std::string("${file:link.txt}"),
        "${file:" + dir.file("outside.txt") + "}"}) {
    auto host = Host::open(
        dir.write("deploy/company.yaml", replace(with_token, "TOKEN", reference)), options);
    ASSERT_FALSE(host) << reference << " was read";
    EXPECT_EQ(host.status().exit_code(), 3);
    const std::string& message = host.status().message();
    EXPECT_NE(message.find("credential 'token': secret file "), std::string::npos) << message;
    EXPECT_NE(message.find("is outside the secret directories (" +
                           std::filesystem::canonical(dir.path() / "deploy").string() + ")"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("secrets: directories:"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t-outside"), std::string::npos) << message;
  }
  auto inside = Host::open(
      dir.write("deploy/company.yaml", replace(with_token, "TOKEN", "${file:token.txt}")), options);
  EXPECT_TRUE(inside) << inside.status().message();
  // A folder listed under `secrets: directories:` may hold them (and then only it).
  auto listed =
      Host::open(dir.write("deploy/company.yaml",
                           replace(replace(with_token, "TOKEN", "${file:../outside.txt}"),
                                   "herald: 1\n", "herald: 1\nsecrets: { directories: [..] }\n")),
                 options);
  EXPECT_TRUE(listed) << listed.status().message();
}

// A Python time limit at least as long as the lease lets a second worker take a post whose hook
// still runs.
TEST(Config, APythonTimeLimitMustBeShorterThanTheLease) {
  testing::TempDir dir;
  auto config = load_configuration(dir.write(
      "company.yaml", replace(kValid, "herald: 1\n",
                              "herald: 1\nengine: { lease_seconds: 60 }\npython: { "
                              "timeout_seconds: 60 }\nhooks: { on_fail: \"acme.hooks:page\" }\n")));
  ASSERT_FALSE(config);
  EXPECT_NE(config.status().message().find(
                "company.yaml:3:28 (python.timeout_seconds): python.timeout_seconds (60) is not "
                "shorter than engine.lease_seconds (60)"),
            std::string::npos)
      << config.status().message();
}

TEST(Config, SuggestsTheClosestName) {
  EXPECT_EQ(closest_match("workflow", {"workflows", "accounts", "people"}), "workflows");
  EXPECT_EQ(closest_match("zzzzzz", {"workflows", "accounts"}), "");
}

}  // namespace
}  // namespace herald
