// What the fuzz targets (tests/fuzz) found, checked in the normal suite: each test takes the
// failure path of an input the fuzzer crashed on (kept in tests/fuzz/corpus/TARGET/regress-*) and
// checks what a user now sees instead.
#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "publish/responses.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>

#ifndef FUZZ_CORPUS_DIR
#error "FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

namespace herald {
namespace {

using testing::TempDir;

/// One account publishing to the outbox: a store with an audit trail to change by hand.
const char* kAuditConfig = R"(herald: 1
store: { path: audit.db }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";

herald_status create_stub(const herald_host_api*, herald_config*, void**) {
  return HERALD_OK;
}
herald_status run_stub(void*, herald_call*) {
  return HERALD_OK;
}
void destroy_stub(void*) {}

/// A descriptor a plugin could return, with one well-formed component.
struct Descriptor {
  herald_config_key keys[1] = {{"channel", HERALD_TYPE_STRING, 0, nullptr, "where"}};
  herald_component components[2]{};
  herald_plugin_descriptor descriptor{};

  Descriptor() {
    herald_component& c = components[0];
    c.struct_size = sizeof(herald_component);
    c.kind = HERALD_KIND_PUBLISH;
    c.name = "post";
    c.config_keys = keys;
    c.config_key_count = 1;
    c.create = create_stub;
    c.run = run_stub;
    c.destroy = destroy_stub;
    descriptor.magic = HERALD_PLUGIN_MAGIC;
    descriptor.struct_size = sizeof(herald_plugin_descriptor);
    descriptor.abi_major = HERALD_ABI_MAJOR;
    descriptor.abi_minor = HERALD_ABI_MINOR;
    descriptor.name = "corrupt";
    descriptor.version = "1.0";
    descriptor.license = "MIT";
    descriptor.description = "a plugin";
    descriptor.components = components;
    descriptor.component_count = 1;
  }

  Status check() {
    auto plugin = plugin_from_descriptor("corrupt.so", &descriptor);
    return plugin ? Status::ok() : plugin.status();
  }
};

TEST(FuzzRegressions, AWellFormedDescriptorIsAccepted) {
  Descriptor d;
  auto plugin = plugin_from_descriptor("corrupt.so", &d.descriptor);
  ASSERT_TRUE(plugin) << plugin.status().message();
  EXPECT_EQ((*plugin)->components.size(), 1u);
  EXPECT_EQ((*plugin)->description, "a plugin");
}

// regress-split-pointer: a descriptor struct_size of 60 bytes copied half of the description
// pointer, which the host then read as a string.
TEST(FuzzRegressions, ADescriptorSizeThatSplitsAFieldIsRefused) {
  Descriptor d;
  d.descriptor.struct_size = offsetof(herald_plugin_descriptor, description) + 4;
  Status s = d.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: its descriptor has a struct_size of 60 bytes, not a multiple "
            "of 8; it is corrupt or not built with the Herald SDK");
}

// regress-misaligned-component: a component struct_size that is not a multiple of the struct's
// alignment put the next component at a misaligned address, read as a herald_component.
TEST(FuzzRegressions, AComponentSizeOffTheStructsAlignmentIsRefused) {
  Descriptor d;
  d.components[0].struct_size = sizeof(herald_component) - 3;
  d.descriptor.component_count = 2;
  Status s = d.check();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("plugin 'corrupt': component 0 has a struct_size of " +
                             std::to_string(sizeof(herald_component) - 3) +
                             " bytes, not a multiple of 8; the descriptor is corrupt"),
            std::string::npos)
      << s.message();
}

// regress-unknown-kind: a kind outside herald_step_kind was loaded as the enumeration.
TEST(FuzzRegressions, AComponentKindOutsideTheEnumerationIsRefusedWithItsValue) {
  Descriptor d;
  const int32_t kind = 1523555388;
  std::memcpy(&d.components[0].kind, &kind, sizeof kind);
  Status s = d.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: plugin 'corrupt' component 'post' has unknown kind 1523555388");
}

TEST(FuzzRegressions, AConfigKeyTypeOutsideTheEnumerationIsRefused) {
  Descriptor d;
  const int32_t type = 42;
  std::memcpy(&d.keys[0].type, &type, sizeof type);
  Status s = d.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: plugin 'corrupt' component 'post': config key 0 has no "
            "name or an unknown type");
}

// regress-null-config-keys: a config_key_count with no table was read through a null pointer.
TEST(FuzzRegressions, ConfigKeysCountedWithoutATableAreRefused) {
  Descriptor d;
  d.components[0].config_keys = nullptr;
  d.components[0].config_key_count = 3;
  Status s = d.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: plugin 'corrupt' component 'post' declares 3 config keys "
            "but no table of them");
}

// Every pointer and count a descriptor pairs is checked before it is followed: counts no plugin
// would declare are a corrupt descriptor, not a table to walk.
TEST(FuzzRegressions, DescriptorCountsBeyondAnyPluginAreRefused) {
  Descriptor components;
  components.descriptor.component_count = 100000;
  Status s = components.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: its descriptor declares 100000 components, more than 256; it is corrupt "
            "or not built with the Herald SDK");
  Descriptor keys;
  keys.components[0].config_key_count = 5000;
  s = keys.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: plugin 'corrupt' component 'post' declares 5000 config keys, more than "
            "1024; the descriptor is corrupt or not built with the Herald SDK");
  Descriptor no_table;
  no_table.descriptor.components = nullptr;
  s = no_table.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "corrupt.so: plugin 'corrupt' offers no components");
}

// Descriptor strings reach logs and JSON: they are read up to a limit and must be UTF-8.
TEST(FuzzRegressions, DescriptorTextThatIsNotUtf8IsRefused) {
  Descriptor name;
  name.descriptor.name =
      "corr\xff"
      "upt";
  Status s = name.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: its name is not valid UTF-8 (byte 5 of 8); write it in UTF-8; the "
            "descriptor is corrupt");
  Descriptor key;
  key.keys[0].description =
      "wh\xc3"
      "ere";
  s = key.check();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("component 'post': config key 0's description is not valid UTF-8"),
            std::string::npos)
      << s.message();
  Descriptor unterminated;
  std::string long_name(2000, 'a');
  unterminated.components[0].name = long_name.c_str();
  s = unterminated.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "corrupt.so: plugin 'corrupt': component 0's name is longer than 1024 bytes (or not "
            "NUL-terminated); the descriptor is corrupt");
}

// The fuzz targets open a host per input; every open loaded each plugin library again and kept
// it, so memory grew with every Host::open of a long-running process.
TEST(FuzzRegressions, APluginLoadedTwiceIsKeptResidentOnce) {
  auto first = load_plugin(std::string(FIXTURE_DIR) + "/herald_fixture_good.so");
  auto second = load_plugin(std::string(FIXTURE_DIR) + "/herald_fixture_good.so");
  ASSERT_TRUE(first) << first.status().message();
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_EQ((*first)->library, (*second)->library);
}

// config/minimal.yaml: every account's settings were read through a reference to a node that
// yaml-cpp's map iterator had already destroyed (AddressSanitizer: stack-use-after-scope).
TEST(FuzzRegressions, AccountSettingsAreReadFromTheAccountsOwnNode) {
  const std::string input =
      testing::read_file(std::string(FUZZ_CORPUS_DIR) + "/config/minimal.yaml");
  ASSERT_FALSE(input.empty());
  // The input as the fuzzer ran it: its one problem is a route's `tags`; the accounts, teams and
  // steps before and after it read cleanly.
  TempDir dir;
  auto config = load_configuration(dir.write("minimal.yaml", input));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.status().message(),
            dir.file("minimal.yaml") +
                ":14:19 (workflows.announce.routes[0].when.tags): unknown key 'tags'; did you "
                "mean 'tag'?");
  // With that fixed, every account setting is there.
  std::string fixed = input;
  fixed.replace(fixed.find("tags: [urgent]"), 14, "tag: [urgent]");
  config = load_configuration(dir.write("fixed.yaml", fixed));
  ASSERT_TRUE(config) << config.status().message();
  const AccountConfig* corp = config->account("corp");
  ASSERT_NE(corp, nullptr);
  EXPECT_EQ(corp->network, "mastodon");
  EXPECT_EQ(corp->handle, "@corp@social.example");
  EXPECT_EQ(corp->char_limit, 500);
  ASSERT_EQ(config->workflows.size(), 1u);
  EXPECT_EQ(config->workflows[0].steps.size(), 3u);
  EXPECT_EQ(config->workflows[0].routes.size(), 1u);
}

// publish_responses/regress-reset-overflow: a rate-limit reset of 10^29 seconds (read as
// LLONG_MAX) was multiplied by 1000 in int64_t.
TEST(FuzzRegressions, AnAbsurdRateLimitResetDoesNotOverflow) {
  using builtin::HttpResponse;
  const int64_t now = 1'780'000'000'000;
  HttpResponse r;
  r.status = 429;
  r.headers["x-rate-limit-remaining"] = "0";
  r.headers["x-rate-limit-reset"] = std::string(30, '9');
  builtin::RateLimit limit = builtin::parse_rate_limit(r, now);
  EXPECT_EQ(limit.reset_ms, 1'000'000'000'000'000);  // held at 10^12 s
  builtin::Attempt a = builtin::classify_response("x", r, now);
  EXPECT_EQ(a.failure, builtin::Failure::rate_limited);
  EXPECT_EQ(a.retry_at_ms, 1'000'000'000'000'000);

  HttpResponse later;
  later.status = 429;
  later.headers["retry-after"] = "9223372036854775807";
  EXPECT_GT(builtin::parse_rate_limit(later, now).reset_ms, now);
  later.headers["retry-after"] = "-9223372036854775807";
  EXPECT_LT(builtin::parse_rate_limit(later, now).reset_ms, now);
}

// publish_responses: fields of an unexpected type (a number where a string id belongs, a mention
// whose author is not among the included users, an `exp` that is not a whole number) threw
// nlohmann::json type_error out of the readers, failing the call instead of reading it.
TEST(FuzzRegressions, AnswerFieldsOfAnotherTypeReadAsMissing) {
  using builtin::HttpResponse;
  const int64_t now = 1'780'000'000'000;
  HttpResponse created;
  created.status = 201;
  created.body = R"({"data": {"id": 1234, "text": "hi"}})";
  builtin::Attempt a = builtin::x_api::created(created, now);
  EXPECT_EQ(a.failure, builtin::Failure::unknown) << "a created post without a readable id is "
                                                     "reconciled, not failed";
  EXPECT_EQ(a.reason, "x answered without a post id");

  HttpResponse mentions;
  mentions.status = 200;
  mentions.body = R"({"data": [{"id": "19", "author_id": "7", "text": 5,
                                "public_metrics": {"like_count": "many"}}],
                      "meta": {"next_token": 3}})";
  std::string newest, next;
  std::vector<nlohmann::json> found = builtin::x_api::mentions_page(mentions, "corp", newest, next);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["author"], "@7");
  EXPECT_EQ(found[0]["text"], "");
  EXPECT_EQ(found[0]["engagement"], 0);
  EXPECT_EQ(newest, "19");
  EXPECT_EQ(next, "");

  HttpResponse page;
  page.status = 200;
  page.body = R"({"data": [{"id": 1, "text": "Happy holidays!"}], "meta": []})";
  std::string next_page;
  auto earlier = builtin::x_api::recent_page(page, "Happy holidays!", next_page);
  ASSERT_TRUE(earlier.has_value());
  EXPECT_EQ(earlier->state, builtin::Earlier::State::absent) << "a match needs an id";

  // A token whose payload says {"exp": 1e300}.
  const std::string payload = "eyJleHAiOiAxZTMwMH0";
  EXPECT_EQ(builtin::bluesky_api::jwt_expiry_ms("x." + payload + ".y"), 0);
  EXPECT_EQ(builtin::bluesky_api::web_url("http"), "");
}

// audit: an entry whose time someone set to an absurd number of milliseconds overflowed date's
// day arithmetic (date.h's year_month_day::from_days) when `herald audit` printed it.
TEST(FuzzRegressions, ATimeOutsideYears1To9999PrintsAsOutOfRange) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time(0, "Europe/Oslo"), "1970-01-01 01:00 CET");
  for (int64_t absurd : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                         int64_t{253'402'300'800'000}}) {
    EXPECT_EQ(format_utc(absurd), "(time out of range: " + std::to_string(absurd) + " ms)");
    EXPECT_EQ(format_time(absurd, "Europe/Oslo"), format_utc(absurd));
    EXPECT_EQ(format_time(absurd, ""), format_utc(absurd));
  }
}

TEST(FuzzRegressions, ISO8601TimesOutOfRangeAreUnreadable) {
  EXPECT_EQ(builtin::parse_iso8601_ms("2026-12-01T09:00:00Z"), 1'796'115'600'000);
  EXPECT_EQ(builtin::parse_iso8601_ms("2026-12-01T09:00:00.250+01:00"), 1'796'112'000'250);
  EXPECT_EQ(builtin::parse_iso8601_ms("2147483647-12-01T09:00:00Z"), 0);
  EXPECT_EQ(builtin::parse_iso8601_ms("2026-12-01T2147483647:00:00Z"), 0);
  EXPECT_EQ(builtin::parse_iso8601_ms("2026-12-01T09:00:00+2147483647:00"), 0);
}

// audit/regress-invalid-utf8: `herald audit CONFIG --json` over an entry someone changed to bytes
// that are not UTF-8 stopped with an uncaught nlohmann::json type_error.
TEST(FuzzRegressions, AuditJsonOfAChangedEntryWithInvalidUtf8StillPrintsAndVerifyNamesIt) {
  TempDir dir;
  const std::string config = dir.write("herald.yaml", kAuditConfig);
  {
    auto host = Host::open(config);
    ASSERT_TRUE(host) << host.status().message();
    SubmitRequest request{"announce", "corp", "ana", "hello", {}, "", ""};
    ASSERT_TRUE((*host)->submit(request));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("audit.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET actor = CAST(X'61F56E61' AS TEXT) WHERE id = 1",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto listed = testing::run_command(std::string(HERALD_CLI) + " audit " + config + " --json");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("\"actor\": \"a\xEF\xBF\xBDna\""), std::string::npos)
      << listed.output;
  auto verified = testing::run_command(std::string(HERALD_CLI) + " audit verify " + config);
  EXPECT_EQ(verified.exit_code, 8) << verified.output;
  EXPECT_NE(verified.output.find("audit trail BROKEN at entry 1"), std::string::npos)
      << verified.output;
}

// engagement_csv/regress-impressions-overflow (after its first byte, which picks the account):
// `engagements > impressions * 100` overflowed for 17-digit impressions.
TEST(FuzzRegressions, AnImpossibleImpressionCountIsRefusedWithItsLine) {
  TempDir dir;
  const std::string config = dir.write("herald.yaml", R"(herald: 1
store: { path: engagement.db }
accounts:
  corp: { network: mastodon, timezone: America/New_York }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  const std::string input = testing::read_file(std::string(FUZZ_CORPUS_DIR) +
                                               "/engagement_csv/regress-impressions-overflow");
  ASSERT_FALSE(input.empty());
  const std::string csv = dir.write("history.csv", input.substr(1));
  auto host = Host::open(config);
  ASSERT_TRUE(host) << host.status().message();
  auto imported = (*host)->import_engagement("corp", csv);
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.status().message(),
            csv +
                ":2: impressions (99999999999999999) cannot exceed 10^12 for one post; nothing "
                "was imported");
  auto slots = (*host)->best_slots("corp", 3);
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
}

// An audit entry changed to link to itself (prev_id = its own id) made `herald audit CONFIG ID`
// follow the post's trail round that loop for ever.
TEST(FuzzRegressions, APostsTrailWithALoopEndsInsteadOfHanging) {
  TempDir dir;
  const std::string config = dir.write("herald.yaml", kAuditConfig);
  int64_t id = 0;
  {
    auto host = Host::open(config);
    ASSERT_TRUE(host) << host.status().message();
    SubmitRequest request{"announce", "corp", "ana", "hello", {}, "", ""};
    auto submitted = (*host)->submit(request);
    ASSERT_TRUE(submitted);
    id = *submitted;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("audit.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET prev_id = id", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto host = Host::open(config);
  ASSERT_TRUE(host) << host.status().message();
  auto trail = (*host)->audit(id);
  ASSERT_TRUE(trail) << trail.status().message();
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ(trail->front().action, "submit");
}

// config/regress-validate-json-utf8.yaml: a store path with a byte that is not UTF-8 (YAML files
// are read as bytes) made `herald validate --json` stop with an uncaught nlohmann::json
// type_error. Its JSON output was repaired first; such a file is now refused at the byte.
TEST(FuzzRegressions, ValidateJsonOfAConfigurationWithInvalidUtf8IsRefusedAtTheByte) {
  TempDir dir;
  const std::string config = dir.write(
      "herald.yaml",
      testing::read_file(std::string(FUZZ_CORPUS_DIR) + "/config/regress-validate-json-utf8.yaml"));
  auto result = testing::run_command(std::string(HERALD_CLI) + " validate " + config + " --json");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find(config + ":2:55: byte 0xE0 is not UTF-8; save the file as UTF-8"),
            std::string::npos)
      << result.output;
}

// config/regress-retry-delay-overflow.yaml: an engine.retry_delay_seconds of 6e29 was converted
// to milliseconds past int64_t's range (undefined behaviour). Delays and timeouts are now checked
// against their range before any conversion, and .nan or .inf is not a number a setting takes.
TEST(FuzzRegressions, ADelayOrTimeoutOutOfRangeIsRefusedWhereItIsWritten) {
  TempDir dir;
  const std::string config =
      dir.write("herald.yaml", testing::read_file(std::string(FUZZ_CORPUS_DIR) +
                                                  "/config/regress-retry-delay-overflow.yaml"));
  auto result = testing::run_command(std::string(HERALD_CLI) + " validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find(config + ":3:32 (engine.retry_delay_seconds): must be more than 0 "
                                        "and at most 2592000 (30 days), got 6.06667e+29"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(config + ":3:70 (engine.max_retry_delay_seconds): expected a "
                                        "finite number, got '.nan'"),
            std::string::npos)
      << result.output;
}

TEST(FuzzRegressions, APublisherSettleTimePastItsRangeIsRefusedByThePlugin) {
  TempDir dir;
  std::string text = testing::read_file(std::string(FUZZ_CORPUS_DIR) +
                                        "/config/regress-retry-delay-overflow.yaml");
  text.replace(text.find("engine:"), text.find("\naccounts:") - text.find("engine:") + 1, "");
  const std::string config = dir.write("herald.yaml", text);
  auto result = testing::run_command(std::string(HERALD_CLI) + " validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find(":10:70 (workflows.announce.steps[0].config.settle_seconds): plugin "
                               "mastodon refused this configuration: settle_seconds must be from 0 "
                               "to 86400"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace herald
