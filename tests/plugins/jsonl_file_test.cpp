// The outbox's append-once files: a record is written once, found again after a restart, a
// line torn by a crash does not swallow the next record, and what sync() cannot make durable
// is reported.
#include "../../plugins/common/jsonl_file.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

namespace herald {
namespace {

TEST(JsonlFiles, WritesEachKeyOnce) {
  testing::TempDir dir;
  std::string path = dir.file("out/corp.jsonl");
  builtin::JsonlFiles files("key");
  auto first = files.append_once(path, "a", R"({"key":"a","text":"one"})", true);
  auto second = files.append_once(path, "b", R"({"key":"b","text":"two"})", true);
  auto again = files.append_once(path, "a", R"({"key":"a","text":"one"})", true);
  EXPECT_EQ(first.line, 1u);
  EXPECT_EQ(second.line, 2u);
  EXPECT_TRUE(again.already_there);
  EXPECT_EQ(again.line, 1u);
  EXPECT_EQ(testing::count_lines(testing::read_file(path)), 2u);
}

// Records written without their keys being kept (the caller knew they could not be there yet)
// are found by the first call that looks, with their line numbers, whoever wrote them.
TEST(JsonlFiles, KeysNotKeptAreReadWhenACallFirstLooks) {
  testing::TempDir dir;
  std::string path = dir.file("out/corp.jsonl");
  builtin::JsonlFiles files("key");
  builtin::JsonlFiles other("key");  // another process appending to the same file
  EXPECT_EQ(files.append_once(path, "a", R"({"key":"a"})", true, false).line, 1u);
  EXPECT_EQ(other.append_once(path, "b", R"({"key":"b"})", true, false).line, 2u);
  EXPECT_EQ(files.append_once(path, "c", R"({"key":"c"})", true, false).line, 3u);
  auto b = files.append_once(path, "b", R"({"key":"b"})", true, /*may_be_there=*/true);
  EXPECT_TRUE(b.already_there);
  EXPECT_EQ(b.line, 2u);
  // From then on every key is kept, those written later too.
  EXPECT_EQ(files.append_once(path, "d", R"({"key":"d"})", true, false).line, 4u);
  auto a = files.append_once(path, "a", R"({"key":"a"})", true, true);
  auto d = files.append_once(path, "d", R"({"key":"d"})", true, true);
  EXPECT_TRUE(a.already_there);
  EXPECT_EQ(a.line, 1u);
  EXPECT_TRUE(d.already_there);
  EXPECT_EQ(d.line, 4u);
  EXPECT_EQ(testing::count_lines(testing::read_file(path)), 4u);
}

TEST(JsonlFiles, SyncFailsForWhatCannotBeSyncedAndTriesItAgain) {
  testing::TempDir dir;
  const std::string synced = dir.file("out/corp.jsonl");
  const std::string pipe = dir.file("out/pipe.jsonl");  // fsync(2) refuses a pipe (EINVAL)
  builtin::JsonlFiles files("key");
  files.append_once(synced, "a", R"({"key":"a"})", false);
  EXPECT_NO_THROW(files.sync());
  ASSERT_EQ(mkfifo(pipe.c_str(), 0644), 0);
  EXPECT_FALSE(files.append_once(pipe, "b", R"({"key":"b"})", false).already_there);
  for (int attempt = 0; attempt < 2; ++attempt) {  // not forgotten after a failure
    try {
      files.sync();
      ADD_FAILURE() << "sync() returned for a pipe";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("pipe.jsonl: fsync failed"), std::string::npos)
          << e.what();
    }
  }
  // A record found (an earlier attempt's, maybe never synced) must be synced too.
  EXPECT_TRUE(files.append_once(pipe, "b", R"({"key":"b"})", false).already_there);
  EXPECT_THROW(files.append_once(pipe, "b", R"({"key":"b"})", true), std::runtime_error);
  EXPECT_EQ(testing::count_lines(testing::read_file(synced)), 1u);
}

TEST(JsonlFiles, FindsRecordsWrittenBeforeARestart) {
  testing::TempDir dir;
  std::string path = dir.file("corp.jsonl");
  { builtin::JsonlFiles("key").append_once(path, "a", R"({"key":"a"})", true); }
  builtin::JsonlFiles restarted("key");
  auto again = restarted.append_once(path, "a", R"({"key":"a"})", true);
  EXPECT_TRUE(again.already_there);
  EXPECT_EQ(testing::count_lines(testing::read_file(path)), 1u);
}

TEST(JsonlFiles, ATornLineStaysApart) {
  testing::TempDir dir;
  std::string path = dir.write("corp.jsonl", "{\"key\":\"a\"}\n{\"key\":\"b\",\"te");
  builtin::JsonlFiles files("key");
  auto written = files.append_once(path, "c", R"({"key":"c"})", true);
  EXPECT_FALSE(written.already_there);
  EXPECT_EQ(written.line, 3u);
  EXPECT_EQ(testing::read_file(path), "{\"key\":\"a\"}\n{\"key\":\"b\",\"te\n{\"key\":\"c\"}\n");
  EXPECT_TRUE(files.append_once(path, "a", "{}", true).already_there);
}

// Two writers of one file (each has its own open file, as two processes do): the lock a writer
// keeps between close appends is let go when the file is idle, and the other writer then sees
// everything the first one wrote.
TEST(JsonlFiles, TwoWritersOfOneFileNeverWriteAKeyTwice) {
  testing::TempDir dir;
  std::string path = dir.file("corp.jsonl");
  builtin::JsonlFiles first("key"), second("key");
  EXPECT_FALSE(first.append_once(path, "a", R"({"key":"a"})", false).already_there);
  auto seen = second.append_once(path, "a", R"({"key":"a"})", false);
  EXPECT_TRUE(seen.already_there);
  EXPECT_EQ(seen.line, 1u);
  EXPECT_FALSE(second.append_once(path, "b", R"({"key":"b"})", false).already_there);
  auto back = first.append_once(path, "b", R"({"key":"b"})", false);
  EXPECT_TRUE(back.already_there) << "the first writer reads what the second appended";
  EXPECT_EQ(back.line, 2u);
  EXPECT_FALSE(first.append_once(path, "c", R"({"key":"c"})", false).already_there);
  EXPECT_EQ(testing::read_file(path), "{\"key\":\"a\"}\n{\"key\":\"b\"}\n{\"key\":\"c\"}\n");
}

TEST(JsonlFiles, AnIdleFileIsNotKeptLocked) {
  testing::TempDir dir;
  std::string path = dir.file("corp.jsonl");
  builtin::JsonlFiles files("key");
  files.append_once(path, "a", R"({"key":"a"})", false);
  int other = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(other, 0);
  bool free = false;
  for (int i = 0; i < 200 && !free; ++i) {  // let go within a few milliseconds
    free = ::flock(other, LOCK_EX | LOCK_NB) == 0;
    if (!free) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(free) << "another process could never append";
  ::close(other);
}

TEST(JsonlFiles, FindsAKeyWithQuotesAndBackslashesAfterARestart) {
  testing::TempDir dir;
  std::string path = dir.file("corp.jsonl");
  const std::string key = "ana \"the boss\" \\ 2:\x01";
  const std::string record = json_line(Json{{"text", "x\"y"}, {"key", key}});
  EXPECT_EQ(record, R"({"text":"x\"y","key":"ana \"the boss\" \\ 2:\u0001"})");
  {
    builtin::JsonlFiles files("key");
    EXPECT_FALSE(files.append_once(path, key, record, false).already_there);
  }
  builtin::JsonlFiles reopened("key");
  auto again = reopened.append_once(path, key, record, false);
  EXPECT_TRUE(again.already_there) << "the escaped key is read back as it was written";
  EXPECT_EQ(again.line, 1u);
  EXPECT_FALSE(reopened.append_once(path, "ana ", record, false).already_there)
      << "a key that is only the start of another is a key of its own";
}

TEST(JsonLine, WritesOneLineAndReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(json_line(Json{{"a", "1\n2"}, {"b", 3}}), R"({"a":"1\n2","b":3})")
      << "keys in the order given, a newline escaped";
  EXPECT_EQ(json_line(Json("bad \xff byte")), "\"bad \xEF\xBF\xBD byte\"");
}

}  // namespace
}  // namespace herald
