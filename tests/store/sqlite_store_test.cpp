// The SQLite store: durable, all-or-nothing, and it refuses files that are not its own.
#include "store/store.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace herald {
namespace {

Post make_post(const std::string& key, int64_t now) {
  Post post;
  post.workflow = "announce";
  post.account = "corp";
  post.author = "ana";
  post.text = "hello";
  post.step_kind = "draft";
  post.state = PostState::ready;
  post.wake_ms = now;
  post.created_ms = now;
  post.updated_ms = now;
  post.idempotency_key = key;
  return post;
}

AuditEntry submitted(int64_t now) {
  return {0, now, "ana", "submit", "", "", "ready", ""};
}

TEST(SqliteStore, StoresAndClaimsDuePosts) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store) << store.status().message();
  Post a = make_post("k1", 1000), b = make_post("k2", 5000);
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  ASSERT_TRUE((*store)->insert_post(b, submitted(1000)));
  EXPECT_GT(a.id, 0);
  EXPECT_NE(a.id, b.id);

  int64_t lost = 0;
  auto claimed = (*store)->commit_and_claim({}, 2000, 10, {"me", 9000}, &lost);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u) << "only the post due by 2000 is claimed";
  EXPECT_EQ((*claimed)[0].id, a.id);
  EXPECT_EQ((*claimed)[0].state, PostState::in_flight);
  EXPECT_EQ((*claimed)[0].claim_seq, 1);
  auto again = (*store)->commit_and_claim({}, 2000, 10, {"other", 9000}, &lost);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty()) << "a claimed post is not claimed twice";
}

TEST(SqliteStore, AnInterruptedTransitionLeavesTheStoreAsBefore) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  Post a = make_post("k1", 1000), b = make_post("k2", 1000);
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  ASSERT_TRUE((*store)->insert_post(b, submitted(1000)));
  int64_t lost = 0;
  auto claimed = (*store)->commit_and_claim({}, 2000, 10, {"me", 9000}, &lost);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 2u);
  size_t audit_before = (*store)->audit(std::nullopt)->size();

  // The first transition is fine; the second fails halfway through the transaction (it
  // carries an event the store refuses).
  Transition first{(*claimed)[0], (*claimed)[0].claim_seq, {}, {}};
  first.post.state = PostState::done;
  first.audit.push_back({first.post.id, 2000, "engine", "advance", "draft", "ready", "done", ""});
  Transition second{(*claimed)[1], (*claimed)[1].claim_seq, {}, {}};
  second.post.state = PostState::done;
  PostEvent orphan;
  orphan.post_id = second.post.id;
  orphan.type = "";
  second.emitted.push_back(orphan);
  auto result = (*store)->commit_and_claim({first, second}, 2000, 10, {"me", 9000}, &lost);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().code(), ErrorCode::store);

  auto reread = (*store)->find_post(first.post.id);
  ASSERT_TRUE(reread);
  EXPECT_EQ((*reread)->state, PostState::in_flight) << "the first transition was rolled back";
  EXPECT_EQ((*store)->audit(std::nullopt)->size(), audit_before) << "no audit entry leaked";
}

TEST(SqliteStore, AStaleClaimCannotOverwrite) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  Post a = make_post("k1", 1000);
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  int64_t lost = 0;
  auto claimed = (*store)->commit_and_claim({}, 2000, 10, {"worker-1", 3000}, &lost);
  ASSERT_EQ(claimed->size(), 1u);
  // The lease expires; the post is rescued and claimed by another worker.
  ASSERT_EQ(*(*store)->rescue_expired(4000), 1);
  auto reclaimed = (*store)->commit_and_claim({}, 4000, 10, {"worker-2", 9000}, &lost);
  ASSERT_EQ(reclaimed->size(), 1u);
  // The first worker comes back and tries to commit: fenced off.
  Transition stale{(*claimed)[0], (*claimed)[0].claim_seq, {}, {}};
  stale.post.state = PostState::done;
  auto result = (*store)->commit_and_claim({stale}, 4000, 0, {"worker-1", 9000}, &lost);
  ASSERT_TRUE(result);
  EXPECT_EQ(lost, 1);
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::in_flight);
}

TEST(SqliteStore, RescueMarksAPublishThatMayHaveHappenedUnconfirmed) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  Post a = make_post("k1", 1000);
  a.step_kind = "publish";
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  int64_t lost = 0;
  ASSERT_EQ((*store)->commit_and_claim({}, 2000, 10, {"w", 3000}, &lost)->size(), 1u);
  ASSERT_EQ(*(*store)->rescue_expired(5000), 1);
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::unconfirmed);
}

TEST(SqliteStore, KeepsDataAcrossReopen) {
  testing::TempDir dir;
  int64_t id = 0;
  {
    auto store = open_sqlite_store(dir.file("h.db"));
    Post a = make_post("k1", 1000);
    ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
    id = a.id;
  }
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  auto post = (*store)->find_post(id);
  ASSERT_TRUE(post && post->has_value());
  EXPECT_EQ((*post)->text, "hello");
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  std::string path = dir.write("h.db", std::string(8192, 'x'));
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().exit_code(), 5);
  EXPECT_NE(store.status().message().find("cannot be read as a Herald database"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(testing::read_file(path), std::string(8192, 'x')) << "the file was not touched";
}

TEST(SqliteStore, RefusesAnotherApplicationsDatabase) {
  testing::TempDir dir;
  std::string path = dir.file("other.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.status().message().find("not a Herald database"), std::string::npos)
      << store.status().message();
}

TEST(SqliteStore, RefusesACorruptDatabase) {
  testing::TempDir dir;
  std::string path = dir.file("h.db");
  {
    auto store = open_sqlite_store(path);
    for (int i = 0; i < 200; ++i) {
      Post p = make_post("k" + std::to_string(i), 1000);
      p.text = std::string(500, 'a' + i % 26);
      ASSERT_TRUE((*store)->insert_post(p, submitted(1000)));
    }
    ASSERT_TRUE((*store)->set_meta("checkpoint", "now"));
  }
  // Checkpoint the WAL into the main file, then scribble over a page in the middle.
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string content = testing::read_file(path);
  ASSERT_GT(content.size(), 40000u);
  for (size_t i = 4096 * 3; i < 4096 * 6; ++i) content[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.status().message().find("corrupt"), std::string::npos)
      << store.status().message();
}

TEST(SqliteStore, RefusesASchemaFromANewerHerald) {
  testing::TempDir dir;
  std::string path = dir.file("h.db");
  { ASSERT_TRUE(open_sqlite_store(path)); }
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.status().message().find("newer Herald"), std::string::npos);
}

}  // namespace
}  // namespace herald
