// The outbox's append-once files: a record is written once, found again after a restart, and a
// line torn by a crash does not swallow the next record.
#include "../../plugins/common/jsonl_file.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

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

TEST(JsonlFiles, EscapesText) {
  EXPECT_EQ(builtin::json_escape("a\"b\\c\nd\te\x01"), "a\\\"b\\\\c\\nd\\te\\u0001");
}

}  // namespace
}  // namespace herald
