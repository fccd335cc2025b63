// What the built-in plugins write as JSON reads back as the exact text that was posted: quotes,
// backslashes, control characters and characters outside the Basic Multilingual Plane, in every
// JSON-lines file (the outbox, share requests, advocacy's requests and its ledger) and in the
// legal and draft findings.
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace herald {
namespace {

using nlohmann::json;

// A quote, a backslash, a tab, a newline, other control characters, emoji (one with a skin tone
// and a zero-width joiner) and a musical symbol: all outside what a hand-made escaper gets right.
const std::string kAwkward =
    "Say \"hi\" \\ to C:\\temp\ttab\nline two \x01\x1f\x7f end 😀 👩🏽‍💻 𝄞 "
    "\"quoted\"";

std::vector<json> lines_of(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << ": not JSON: " << line;
    out.push_back(j);
  }
  return out;
}

TEST(JsonOutput, AnAwkwardTextReadsBackFromEveryFileAPluginWrites) {
  testing::TempDir dir;
  dir.write("legal.yaml", R"(rules:
  - name: 'quoted "speech"'
    pattern: '"[a-z]+"'
    severity: review
    message: 'quotes \ need "a look"'
)");
  const std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: outbox, handle: corp }
people:
  ana: { roles: [writer] }
  grace: { roles: [legal] }
  "mo \"the sharer\"": { amplify: true }
  p1: {}
notifiers:
  outbox: { plugin: notify/outbox, config: { directory: out } }
workflows:
  w:
    steps:
      - { kind: legal_review, plugin: legal_review, config: { rules: legal.yaml } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - { kind: amplify, plugin: amplify, config: { directory: out } }
      - kind: amplify
        name: advocacy
        plugin: advocacy
        config: { directory: out, window: 1h, networks: [x] }
)";
  HostOptions options;
  const int64_t start = parse_time("2026-12-01T09:00:00Z", "")->utc_ms;
  options.clock = make_virtual_clock(start);
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  auto& host = *opened;
  ASSERT_TRUE(host->advocacy("p1", "corp", true));
  auto id = host->submit({"w", "corp", "ana", kAwkward, {}, ""});
  ASSERT_TRUE(id) << id.status().message();
  ASSERT_TRUE(host->run({}));

  // Legal's finding, as a person sees it in the inbox.
  auto inbox = host->inbox("grace");
  ASSERT_TRUE(inbox) << inbox.status().message();
  ASSERT_EQ(inbox->size(), 1u);
  ASSERT_FALSE((*inbox)[0].findings.empty());
  json finding = json::parse((*inbox)[0].findings[0]);
  EXPECT_EQ(finding["rule"], "legal_review/quoted \"speech\"");
  EXPECT_EQ(finding["message"], "quotes \\ need \"a look\"");
  EXPECT_EQ(finding["excerpt"], "\"hi\"");

  ASSERT_TRUE(host->legal_decision(*id, "grace", "clear", "fine"));
  RunOptions until_done;
  until_done.until_ms = start + 2 * 3'600'000;
  ASSERT_TRUE(host->run(until_done));
  auto post = host->post(*id);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->state, "done") << post->reason;

  auto outbox = lines_of(dir.file("out/corp.jsonl"));
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0]["text"], kAwkward);
  EXPECT_EQ(outbox[0]["post"], *id);
  EXPECT_EQ(outbox[0]["author"], "ana");

  auto shares = lines_of(dir.file("out/shares.jsonl"));
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_EQ(shares[0]["text"], kAwkward);
  EXPECT_EQ(shares[0]["person"], "mo \"the sharer\"");

  auto requests = lines_of(dir.file("out/share-requests.jsonl"));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["to"], "p1");
  ASSERT_TRUE(requests[0].contains("suggestions")) << requests[0].dump();
  EXPECT_NE(requests[0]["suggestions"].dump().find("\\\"hi\\\""), std::string::npos)
      << "the suggested text keeps the quotes: " << requests[0].dump();

  // A second run finds every record by its key again and writes nothing twice.
  host.reset();
  auto again = Host::open(dir.file("herald.yaml"), options);
  ASSERT_TRUE(again) << again.status().message();
  ASSERT_TRUE((*again)->run(until_done));
  EXPECT_EQ(lines_of(dir.file("out/corp.jsonl")).size(), 1u);
  EXPECT_EQ(lines_of(dir.file("out/shares.jsonl")).size(), 1u);
}

}  // namespace
}  // namespace herald
