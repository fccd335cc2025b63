// `herald submit CONFIG --from FILE`: posts from CSV or JSON lines, checked first and stored all
// at once or not at all, with every bad row named by file:line and field.
#include "support/child.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

namespace herald {
namespace {

constexpr const char* kStart = "2026-12-01T09:00:00Z";

class SubmitFrom : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("company.yaml",
                         std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: outbox, handle: corp, timezone: Europe/Oslo }
  help: { network: outbox, handle: help }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  }
  testing::CommandResult submit(const std::string& args) {
    return testing::run_command(std::string(HERALD_CLI) + " submit " + config_ +
                                " --clock virtual" + " --start " + kStart + " " + args);
  }
  std::vector<PostView> stored() {
    HostOptions options;
    options.clock = make_virtual_clock(parse_time(kStart, "")->utc_ms);
    auto host = Host::open(config_, options);
    EXPECT_TRUE(host) << host.status().message();
    if (!host) return {};
    auto posts = (*host)->posts();
    EXPECT_TRUE(posts) << posts.status().message();
    return posts ? *posts : std::vector<PostView>{};
  }
  static std::vector<int64_t> ids_of(const std::string& output) {
    std::vector<int64_t> ids;
    std::istringstream in(output);
    for (int64_t id; in >> id;) ids.push_back(id);
    return ids;
  }
  testing::TempDir dir_;
  std::string config_;
};

TEST_F(SubmitFrom, CsvFieldsWithCommasQuotesAndLineBreaksAreStoredAsWritten) {
  std::string file = dir_.write("posts.csv",
                                "workflow,account,author,text,tags,at\r\n"
                                "announce,corp,ana,\"We're hiring, in Oslo\",\"jobs, oslo\",\r\n"
                                "announce,corp,ana,\"Two lines:\nsee \"\"our\"\" site 😀\",,"
                                "2026-12-02 10:00\r\n"
                                "announce,help,,Same text,,\r\n"
                                "announce,help,,Same text,,\r\n");
  auto result = submit("--from " + file);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::vector<int64_t> ids = ids_of(result.output);
  ASSERT_EQ(ids.size(), 4u) << result.output;
  std::vector<PostView> posts = stored();
  ASSERT_EQ(posts.size(), 4u);
  std::map<int64_t, PostView> by_id;
  for (const PostView& p : posts) by_id[p.id] = p;
  EXPECT_EQ(by_id[ids[0]].text, "We're hiring, in Oslo");
  EXPECT_EQ(by_id[ids[0]].tags, (std::vector<std::string>{"jobs", "oslo"}));
  EXPECT_EQ(by_id[ids[0]].author, "ana");
  EXPECT_EQ(by_id[ids[1]].text, "Two lines:\nsee \"our\" site 😀");
  EXPECT_EQ(format_utc(by_id[ids[1]].publish_at_ms), "2026-12-02T09:00:00Z")
      << "a time without a zone is the account's (Oslo)";
  EXPECT_EQ(by_id[ids[2]].text, "Same text");
  EXPECT_EQ(by_id[ids[3]].text, "Same text");
  EXPECT_NE(ids[2], ids[3]) << "two identical texts are two posts";
  EXPECT_EQ(by_id[ids[3]].account, "help");
}

TEST_F(SubmitFrom, JsonLinesTakeWhatTheyLeaveOutFromTheOptionsAndPrintJson) {
  std::string file = dir_.write(
      "posts.jsonl", R"({"text": "One \"quoted\"\n\u00e9 \ud83d\ude00", "tags": ["a", "b"]})"
                     "\n\n"
                     R"({"text": "Two", "account": "help", "tag": "single", "at": null})"
                     "\r\n");
  auto result = submit("--from " + file + " -w announce -a corp --author ana --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  nlohmann::json out = nlohmann::json::parse(result.output);
  ASSERT_EQ(out["ids"].size(), 2u);
  std::vector<PostView> posts = stored();
  ASSERT_EQ(posts.size(), 2u);
  std::map<int64_t, PostView> by_id;
  for (const PostView& p : posts) by_id[p.id] = p;
  const PostView& first = by_id[out["ids"][0].get<int64_t>()];
  EXPECT_EQ(first.text, "One \"quoted\"\né 😀");
  EXPECT_EQ(first.account, "corp");
  EXPECT_EQ(first.author, "ana");
  EXPECT_EQ(first.tags, (std::vector<std::string>{"a", "b"}));
  const PostView& second = by_id[out["ids"][1].get<int64_t>()];
  EXPECT_EQ(second.account, "help");
  EXPECT_EQ(second.tags, std::vector<std::string>{"single"});
}

TEST_F(SubmitFrom, OneBadRowAmongAThousandStoresNothingAndIsNamed) {
  std::string csv = "workflow,account,text,at\n";
  for (int i = 0; i < 1000; ++i) {
    std::string account = i == 499 ? "nobody" : "corp";
    std::string at = i == 700 ? "2020-01-01T09:00:00Z" : "";
    csv += "announce," + account + ",Post number " + std::to_string(i) + "," + at + "\n";
  }
  std::string file = dir_.write("posts.csv", csv);
  auto result = submit("--from " + file);
  EXPECT_EQ(result.exit_code, 6) << "an unknown account is not found, as for one post";
  EXPECT_NE(result.output.find(file + ":501: account: unknown account 'nobody'"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(file + ":702: at: --at 2020-01-01T09:00:00Z is in the past"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("2 of 1000 posts refused; nothing was stored"), std::string::npos)
      << result.output;
  EXPECT_TRUE(stored().empty());
}

TEST_F(SubmitFrom, BytesThatAreNotUtf8AreRefusedWithTheirLine) {
  std::string csv = dir_.write("posts.csv",
                               "workflow,account,text\nannounce,corp,fine\nannounce,corp,bad "
                               "\xff byte\n");
  auto result = submit("--from " + csv);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find(csv + ":3:19: this byte is not UTF-8"), std::string::npos)
      << result.output;
  std::string jsonl =
      dir_.write("posts.jsonl",
                 "{\"workflow\":\"announce\",\"account\":\"corp\",\"text\":\"ok\"}\n"
                 "{\"workflow\":\"announce\",\"account\":\"corp\",\"text\":\"\xc3("
                 "\"}\n");
  result = submit("--from " + jsonl);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find(jsonl + ":2:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("not UTF-8"), std::string::npos) << result.output;
  EXPECT_TRUE(stored().empty());
}

TEST_F(SubmitFrom, MalformedFilesSayWhereAndWhatToDo) {
  struct Case {
    std::string name, content, expected;
  };
  const std::vector<Case> cases = {
      {"empty.csv", "", "empty.csv: no posts"},
      {"blank.jsonl", "\n  \n", "blank.jsonl: no posts"},
      {"header-only.csv", "workflow,account,text\n", "no posts after the header"},
      {"no-text.csv", "workflow,account,author\nannounce,corp,ana\n",
       "no-text.csv:1: the header has no `text` column"},
      {"no-account.csv", "workflow,text\nannounce,hi\n",
       "no-account.csv:1: the header has no `account` column; add it, or give every post's "
       "account with --account"},
      {"typo.csv", "workflow,account,txet\n", "typo.csv:1: unknown column 'txet'"},
      {"fields.csv", "workflow,account,text\nannounce,corp,a,b\n",
       "fields.csv:2: 4 fields where the header names 3"},
      {"open.csv", "workflow,account,text\nannounce,corp,\"never closed\n",
       "open.csv:2:15: this quote is never closed"},
      {"stray.csv", "workflow,account,text\nannounce,corp,say \"hi\"\n",
       "stray.csv:2:19: a quote inside a field that does not start with one"},
      {"notjson.jsonl", "{\"text\": \"a\"\n", "notjson.jsonl:1: not a JSON object"},
      {"nokey.jsonl", "{\"workflow\":\"announce\",\"account\":\"corp\"}\n",
       "nokey.jsonl:1: the post has no `text` key"},
      {"badtags.jsonl",
       "{\"workflow\":\"announce\",\"account\":\"corp\",\"text\":\"a\",\"tags\":1}\n",
       "badtags.jsonl:1: tags: give a list of texts"},
      {"posts.txt", "hello\n", "posts.txt: give a .csv file"},
  };
  for (const Case& c : cases) {
    std::string file = dir_.write(c.name, c.content);
    auto result = submit("--from " + file);
    EXPECT_EQ(result.exit_code, 2) << c.name << ": " << result.output;
    EXPECT_NE(result.output.find(c.expected), std::string::npos) << c.name << ": " << result.output;
  }
  auto missing = submit("--from " + dir_.file("nowhere.csv"));
  EXPECT_EQ(missing.exit_code, 6) << missing.output;
  auto both = submit("--from " + dir_.file("x.csv") + " --text hi");
  EXPECT_EQ(both.exit_code, 2) << "--from and --text exclude each other: " << both.output;
  auto single = submit("-a corp --text hi");
  EXPECT_EQ(single.exit_code, 2) << single.output;
  EXPECT_NE(single.output.find("--workflow is required"), std::string::npos) << single.output;
  EXPECT_TRUE(stored().empty());
}

// A process killed while it stores a large batch leaves the store with none of the batch or all
// of it: the posts and their audit entries are one transaction.
TEST_F(SubmitFrom, AKilledBatchLeavesNothingHalfWritten) {
  constexpr int kPosts = 20000;
  std::string csv = "workflow,account,text\n";
  for (int i = 0; i < kPosts; ++i) csv += "announce,corp,Post " + std::to_string(i) + "\n";
  std::string file = dir_.write("posts.csv", csv);
  for (int delay_ms : {40, 120, 250, 400, 700}) {
    std::filesystem::remove(dir_.file("company.db"));
    std::filesystem::remove(dir_.file("company.db-wal"));
    std::filesystem::remove(dir_.file("company.db-shm"));
    testing::Child child = testing::spawn(
        {HERALD_CLI, "submit", config_, "--from", file, "--clock", "virtual", "--start", kStart});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    if (child.out) fclose(child.out);
    size_t count = std::filesystem::exists(dir_.file("company.db")) ? stored().size() : 0;
    EXPECT_TRUE(count == 0 || count == static_cast<size_t>(kPosts))
        << "killed after " << delay_ms << " ms: " << count << " posts stored";
  }
}

}  // namespace
}  // namespace herald
