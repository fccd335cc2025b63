// The SQLite store: durable, all-or-nothing, and it refuses files that are not its own.
#include "store/audit_chain.hpp"
#include "store/integrity.hpp"
#include "store/store.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

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

/// Stores two posts due at 1000 and claims both at 2000 for "me"; returns the claimed posts.
std::vector<Post> store_and_claim_two(Store& store) {
  Post a = make_post("k1", 1000), b = make_post("k2", 1000);
  EXPECT_TRUE(store.insert_post(a, submitted(1000)));
  EXPECT_TRUE(store.insert_post(b, submitted(1000)));
  std::vector<Transition> none;
  int64_t lost = 0;
  auto claimed = store.commit_and_claim(none, 2000, 10, {"me", 9000}, &lost);
  EXPECT_TRUE(claimed) << claimed.status().message();
  return claimed ? *claimed : std::vector<Post>{};
}

/// No transitions to commit: just claim.
std::vector<Transition>& nothing() {
  static std::vector<Transition> none;
  none.clear();
  return none;
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
  auto claimed = (*store)->commit_and_claim(nothing(), 2000, 10, {"me", 9000}, &lost);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u) << "only the post due by 2000 is claimed";
  EXPECT_EQ((*claimed)[0].id, a.id);
  EXPECT_EQ((*claimed)[0].state, PostState::in_flight);
  EXPECT_EQ((*claimed)[0].claim_seq, 1);
  auto again = (*store)->commit_and_claim(nothing(), 2000, 10, {"other", 9000}, &lost);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty()) << "a claimed post is not claimed twice";
}

TEST(SqliteStore, AnInterruptedTransitionLeavesTheStoreAsBefore) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::optional<std::vector<Post>> claimed = store_and_claim_two(**store);
  ASSERT_EQ(claimed->size(), 2u);
  int64_t lost = 0;
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
  std::vector<Transition> both{first, second};
  auto result = (*store)->commit_and_claim(both, 2000, 10, {"me", 9000}, &lost);
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
  auto claimed = (*store)->commit_and_claim(nothing(), 2000, 10, {"worker-1", 3000}, &lost);
  ASSERT_EQ(claimed->size(), 1u);
  // The lease expires; the post is rescued and claimed by another worker.
  ASSERT_EQ(*(*store)->rescue_expired(4000), 1);
  auto reclaimed = (*store)->commit_and_claim(nothing(), 4000, 10, {"worker-2", 9000}, &lost);
  ASSERT_EQ(reclaimed->size(), 1u);
  // The first worker comes back and tries to commit: fenced off.
  Transition stale{(*claimed)[0], (*claimed)[0].claim_seq, {}, {}};
  stale.post.state = PostState::done;
  std::vector<Transition> late{stale};
  auto result = (*store)->commit_and_claim(late, 4000, 0, {"worker-1", 9000}, &lost);
  ASSERT_TRUE(result);
  EXPECT_EQ(lost, 1);
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::in_flight);
}

/// Checks the whole audit chain; "" when it holds.
std::string chain_problem(Store& store, int64_t* entries = nullptr) {
  AuditChainCheck check;
  Status scanned = store.scan_audit([&](const AuditRecord& r) { return check.next(r); });
  if (!scanned) return scanned.message();
  if (entries) *entries = check.entries();
  return check.problem();
}

/// A round of `count` claimed posts, each done with two audit entries.
std::vector<Transition> round_of(const std::vector<Post>& claimed) {
  std::vector<Transition> round;
  for (const Post& p : claimed) {
    Transition t{p, p.claim_seq, {}, {}};
    t.post.state = PostState::done;
    t.audit.push_back({p.id, 3000, "engine", "advance", "draft", "ready", "ready", "checked"});
    t.audit.push_back({p.id, 3000, "engine", "advance", "publish", "ready", "done", "sent"});
    round.push_back(std::move(t));
  }
  return round;
}

// A large round's audit entries are hashed on a second thread while the post states are
// written; a claim lost in the middle of such a round renumbers the entries after it.
TEST(SqliteStore, ALargeRoundChainsItsAuditEntriesInOrderEvenWhenAClaimIsLost) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  constexpr int kPosts = 80;  // rounds of 80 entries: enough to be hashed ahead
  for (int i = 0; i < kPosts; ++i) {
    Post p = make_post("k" + std::to_string(i), 1000);
    ASSERT_TRUE((*store)->insert_post(p, submitted(1000)));
  }
  int64_t lost = 0;
  auto claimed = (*store)->commit_and_claim(nothing(), 2000, 2 * kPosts, {"w", 9000}, &lost);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), static_cast<size_t>(kPosts));

  // The first half commits in one round.
  std::vector<Post> first(claimed->begin(), claimed->begin() + kPosts / 2);
  std::vector<Transition> round = round_of(first);
  ASSERT_TRUE((*store)->commit_and_claim(round, 3000, 0, {"w", 9000}, &lost));
  EXPECT_EQ(lost, 0);
  int64_t entries = 0;
  EXPECT_EQ(chain_problem(**store, &entries), "");
  EXPECT_EQ(entries, kPosts + kPosts / 2 * 2);
  EXPECT_EQ((*(*store)->audit(first[3].id)).size(), 3u) << "submit, then the round's two";

  // In the second half, one post was taken over by another worker meanwhile.
  std::vector<Post> second(claimed->begin() + kPosts / 2, claimed->end());
  const int64_t taken = second[5].id;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("h.db").c_str(), &db), SQLITE_OK);
    std::string sql =
        "UPDATE post_states SET claim_seq = claim_seq + 1 WHERE post_id = " + std::to_string(taken);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  round = round_of(second);
  ASSERT_TRUE((*store)->commit_and_claim(round, 3000, 0, {"w", 9000}, &lost));
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(chain_problem(**store, &entries), "");
  EXPECT_EQ(entries, kPosts + (kPosts - 1) * 2) << "everything but the lost post's entries";
  EXPECT_EQ((*(*store)->audit(taken)).size(), 1u) << "only its submit entry";
  EXPECT_EQ((*(*store)->find_post(taken))->state, PostState::in_flight);
  auto after = (*store)->audit(second[6].id);
  ASSERT_EQ(after->size(), 3u);
  EXPECT_EQ((*after)[2].detail, "sent");
  EXPECT_EQ((*(*store)->find_post(second[6].id))->state, PostState::done);
}

TEST(SqliteStore, RescueMarksAPublishThatMayHaveHappenedUnconfirmed) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  Post a = make_post("k1", 1000);
  a.step_kind = "publish";
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  int64_t lost = 0;
  ASSERT_EQ((*store)->commit_and_claim(nothing(), 2000, 10, {"w", 3000}, &lost)->size(), 1u);
  ASSERT_EQ(*(*store)->rescue_expired(5000), 1);
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::unconfirmed);
}

// A post that already waits at its publish step for its account's rate limit is not claimed
// while the limit holds: the claim moves its wake time to the reset, and writes no audit entry.
TEST(SqliteStore, AClaimLeavesAPostThatWaitsForItsAccountsLimitUntilTheReset) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store) << store.status().message();
  auto at_publish = [&](const std::string& key, const std::string& account, PostState state,
                        int64_t limited_since) {
    Post p = make_post(key, 1000);
    p.account = account;
    p.step_kind = "publish";
    p.state = state;
    p.limited_since_ms = limited_since;
    EXPECT_TRUE((*store)->insert_post(p, submitted(1000)));
    return p.id;
  };
  // The post whose call met the limit (due first), then four more of the account's posts.
  Post first = make_post("k0", 100);
  first.step_kind = "publish";
  ASSERT_TRUE((*store)->insert_post(first, submitted(100)));
  const int64_t waits = at_publish("k1", "corp", PostState::waiting, 500);
  const int64_t unconfirmed = at_publish("k2", "corp", PostState::unconfirmed, 500);
  const int64_t new_to_it = at_publish("k3", "corp", PostState::waiting, 0);
  const int64_t other_account = at_publish("k4", "other", PostState::waiting, 500);
  int64_t lost = 0;
  auto claimed = (*store)->commit_and_claim(nothing(), 100, 10, {"w", 9000}, &lost);
  ASSERT_TRUE(claimed && claimed->size() == 1u);
  Transition limited{(*claimed)[0], (*claimed)[0].claim_seq, {}, {}};
  limited.post.state = PostState::waiting;
  limited.post.wake_ms = 60'000;
  limited.account_limited_until_ms = 60'000;
  limited.audit.push_back({first.id, 100, "engine", "wait", "publish", "ready", "waiting", "429"});
  std::vector<Transition> round{limited};
  claimed = (*store)->commit_and_claim(round, 2000, 10, {"w", 9000}, &lost);
  ASSERT_TRUE(claimed) << claimed.status().message();
  std::set<int64_t> ids;
  for (const Post& p : *claimed) ids.insert(p.id);
  // A post that has yet to record its wait runs its step (which records it); another account's
  // post is not held back.
  EXPECT_EQ(ids, (std::set<int64_t>{new_to_it, other_account}));
  for (int64_t id : {waits, unconfirmed}) {
    const Post post = **(*store)->find_post(id);
    EXPECT_EQ(post.state, id == waits ? PostState::waiting : PostState::unconfirmed);
    EXPECT_EQ(post.wake_ms, 60'000);
    EXPECT_EQ(post.claim_seq, 0) << "not claimed";
    EXPECT_EQ(post.limited_since_ms, 500);
    EXPECT_EQ(post.reason, rate_limit_wait_reason("corp", 60'000, id == unconfirmed));
    EXPECT_EQ((*store)->audit(id)->size(), 1u) << "only its submission";
  }
  // At the reset they are claimed as usual.
  claimed = (*store)->commit_and_claim(nothing(), 60'000, 10, {"w", 99'000}, &lost);
  ASSERT_TRUE(claimed);
  ids.clear();
  for (const Post& p : *claimed) ids.insert(p.id);
  EXPECT_EQ(ids, (std::set<int64_t>{first.id, waits, unconfirmed}));
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

// Opening a store reads its header and schema, not every page (that made every command slower
// as the store grew); damage elsewhere is found by the check `herald doctor` runs, and by any
// read that meets it, which fails rather than returning what it could read.
TEST(SqliteStore, ADamagedPageIsFoundByTheCheckAndByTheReadThatMeetsIt) {
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
  for (bool full : {false, true}) {
    auto checked = check_store_file(path, full);
    ASSERT_TRUE(checked) << checked.status().message();
    ASSERT_TRUE(checked->has_value()) << "the check finds the damaged pages";
    EXPECT_FALSE((*checked)->empty());
  }
  auto store = open_sqlite_store(path);
  if (!store) return;  // the damage reached what opening reads: refused, which is as good
  auto posts = (*store)->list_posts();
  ASSERT_FALSE(posts) << "a read over damaged pages fails; it does not return part of the posts";
  EXPECT_EQ(posts.status().code(), ErrorCode::store);
  EXPECT_NE(posts.status().message().find("malformed"), std::string::npos)
      << posts.status().message();
}

TEST(SqliteStore, TheCheckFindsASoundStoreSoundAndNamesAMissingOne) {
  testing::TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store);
    Post p = make_post("k", 1000);
    ASSERT_TRUE((*store)->insert_post(p, submitted(1000)));
  }
  auto checked = check_store_file(path, true);
  ASSERT_TRUE(checked) << checked.status().message();
  EXPECT_FALSE(checked->has_value()) << **checked;
  auto missing = check_store_file(dir.file("none.db"), false);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("no store here"), std::string::npos);
}

TEST(SqliteStore, EachPostKeepsItsOwnTrailInOrder) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::optional<std::vector<Post>> claimed = store_and_claim_two(**store);
  ASSERT_EQ(claimed->size(), 2u);
  const Post& a = (*claimed)[0];
  const Post& b = (*claimed)[1];
  int64_t lost = 0;
  // Both posts move in one commit, their entries interleaved in the table.
  std::vector<Transition> round;
  for (const Post& p : *claimed) {
    Transition t{p, p.claim_seq, {}, {}};
    t.post.state = PostState::waiting;
    t.audit.push_back({p.id, 2000, "engine", "advance", "draft", "ready", "ready", "one"});
    t.audit.push_back({p.id, 2000, "engine", "wait", "approve", "ready", "waiting", "two"});
    round.push_back(t);
  }
  ASSERT_TRUE((*store)->commit_and_claim(round, 2000, 0, {"me", 9000}, &lost));
  Post seen = **(*store)->find_post(a.id);
  PostEvent approval;
  approval.post_id = a.id;
  approval.step_index = seen.step_index;
  approval.type = "approve";
  approval.actor = "mo";
  approval.at_ms = 3000;
  ASSERT_TRUE((*store)->add_event(
      approval, seen, {a.id, 3000, "mo", "approve", "approve", "waiting", "ready", ""}));

  auto trail_a = (*store)->audit(a.id);
  ASSERT_TRUE(trail_a);
  std::vector<std::string> actions;
  for (const AuditRecord& r : *trail_a) {
    EXPECT_EQ(r.post_id, a.id);
    actions.push_back(r.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"submit", "advance", "wait", "approve"}));
  EXPECT_EQ((*store)->audit(b.id)->size(), 3u);
  EXPECT_EQ((*store)->audit(std::nullopt)->size(), 7u);
  EXPECT_TRUE((*store)->audit(999)->empty()) << "no such post, no trail";
}

TEST(SqliteStore, MigratesADatabaseFromSchemaVersion1) {
  testing::TempDir dir;
  std::string path = dir.file("old.db");
  // A database as the first schema wrote it: two posts whose audit entries interleave.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
CREATE TABLE posts (id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, account TEXT NOT NULL,
  author TEXT NOT NULL, text TEXT NOT NULL, tags TEXT NOT NULL, created_ms INTEGER NOT NULL,
  publish_at_ms INTEGER NOT NULL, zone TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE);
CREATE TABLE post_states (post_id INTEGER PRIMARY KEY, step_index INTEGER NOT NULL,
  step_kind TEXT NOT NULL, state TEXT NOT NULL, wake_ms INTEGER NOT NULL, reason TEXT NOT NULL,
  expects TEXT NOT NULL, attempt INTEGER NOT NULL, claim_seq INTEGER NOT NULL,
  claimed_from TEXT NOT NULL, lease_owner TEXT NOT NULL, lease_expires_ms INTEGER NOT NULL,
  remote_id TEXT NOT NULL, note TEXT NOT NULL, updated_ms INTEGER NOT NULL,
  step_events INTEGER NOT NULL DEFAULT 0, due_ms INTEGER);
CREATE INDEX post_states_due ON post_states (due_ms, post_id) WHERE due_ms IS NOT NULL;
CREATE TABLE events (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL CHECK (post_id > 0),
  step_index INTEGER NOT NULL, type TEXT NOT NULL CHECK (type <> ''), actor TEXT NOT NULL,
  comment TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX events_post ON events (post_id, step_index);
CREATE TABLE audit (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL, action TEXT NOT NULL, step TEXT NOT NULL, from_state TEXT NOT NULL,
  to_state TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX audit_post ON audit (post_id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO posts VALUES (1, 'announce', 'corp', 'ana', 'one', '', 1, 1, 'UTC', 'k1'),
                         (2, 'announce', 'corp', 'ana', 'two', '', 1, 1, 'UTC', 'k2');
INSERT INTO post_states VALUES (1, 1, 'approve', 'waiting', 0, '', '', 0, 1, 'ready', '', 0, '',
                                '', 1, 0, NULL),
                               (2, 1, 'approve', 'waiting', 0, '', '', 0, 1, 'ready', '', 0, '',
                                '', 1, 0, NULL);
INSERT INTO audit VALUES (1, 1, 1, 'ana', 'submit', '', '', 'ready', ''),
                         (2, 2, 1, 'ana', 'submit', '', '', 'ready', ''),
                         (3, 1, 2, 'engine', 'advance', 'draft', 'ready', 'ready', ''),
                         (4, 2, 2, 'engine', 'advance', 'draft', 'ready', 'ready', ''),
                         (5, 1, 2, 'engine', 'wait', 'approve', 'ready', 'waiting', '');
PRAGMA application_id = 1213353028;
PRAGMA user_version = 1;
)sql";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store) << store.status().message();
  auto ids_of = [&](int64_t post_id) {
    std::vector<int64_t> ids;
    auto trail = (*store)->audit(post_id);
    if (trail)
      for (const AuditRecord& r : *trail) ids.push_back(r.id);
    return ids;
  };
  std::vector<int64_t> ids = ids_of(1);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(ids_of(2), (std::vector<int64_t>{2, 4}));

  // New entries continue each post's trail.
  Post seen = **(*store)->find_post(2);
  PostEvent approval;
  approval.post_id = 2;
  approval.step_index = 1;
  approval.type = "approve";
  approval.actor = "mo";
  approval.at_ms = 3;
  ASSERT_TRUE((*store)->add_event(approval, seen,
                                  {2, 3, "mo", "approve", "approve", "waiting", "ready", ""}));
  EXPECT_EQ(ids_of(2), (std::vector<int64_t>{2, 4, 6}));

  // The chain the migration to version 3 made, and the entry written since, verify; each entry's
  // prev_hash is the hash of the entry before it, in a post's trail as in the whole chain.
  auto chain = (*store)->audit(std::nullopt);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 6u);
  AuditChainCheck check;
  for (const AuditRecord& r : *chain) EXPECT_TRUE(check.next(r)) << check.problem();
  EXPECT_EQ(check.entries(), 6);
  EXPECT_EQ(chain->front().prev_hash, audit_genesis_hash());
  auto trail = (*store)->audit(2);
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 3u);
  for (const AuditRecord& r : *trail) {
    const AuditRecord& whole = (*chain)[static_cast<size_t>(r.id - 1)];
    EXPECT_EQ(r.hash, whole.hash);
    EXPECT_EQ(r.prev_hash, (*chain)[static_cast<size_t>(r.id - 2)].hash) << "entry " << r.id;
  }
  store->reset();
  // Hashes are kept as 32 bytes, and prev_hash is not stored at all.
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT count(*), min(length(hash)), max(length(hash)), "
                               "min(typeof(hash)) FROM audit",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 6);
  EXPECT_EQ(sqlite3_column_int(stmt, 1), 32);
  EXPECT_EQ(sqlite3_column_int(stmt, 2), 32);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)), "blob");
  sqlite3_finalize(stmt);
  EXPECT_NE(sqlite3_prepare_v2(db, "SELECT prev_hash FROM audit", -1, &stmt, nullptr), SQLITE_OK);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
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

TEST(SqliteStore, AnOpenRoundKeepsNothingWhenRolledBackAndOtherThreadsWaitForItsCommit) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.file("h.db"));
  ASSERT_TRUE(store);
  Post a = make_post("k1", 1000), b = make_post("k2", 1000);
  ASSERT_TRUE((*store)->insert_post(a, submitted(1000)));
  ASSERT_TRUE((*store)->insert_post(b, submitted(1000)));
  int64_t lost = 0;
  auto claimed = (*store)->write_and_claim(nothing(), 2000, 10, {"me", 9000}, &lost);
  ASSERT_TRUE(claimed) << claimed.status().message();
  ASSERT_EQ(claimed->size(), 2u);
  // The open transaction can be read in: the round's inputs come from it.
  auto events = (*store)->events_for_posts(*claimed);
  ASSERT_TRUE(events) << events.status().message();
  (*store)->rollback_open();
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::ready) << "the claim was not kept";

  // The engine runs a round's transaction on a second thread; a call from another thread
  // meanwhile waits for the commit and sees all of it.
  std::promise<void> opened;
  std::promise<void> go_on;
  auto round = std::async(std::launch::async, [&]() -> Status {
    auto claim = (*store)->write_and_claim(nothing(), 2000, 10, {"me", 9000}, &lost);
    if (!claim) return claim.status();
    if (claim->size() != 2) return Status(ErrorCode::internal, "not claimable again");
    Transition first{(*claim)[0], (*claim)[0].claim_seq, {}, {}};
    first.post.state = PostState::done;
    first.audit.push_back({first.post.id, 2000, "engine", "advance", "draft", "ready", "done", ""});
    std::vector<Transition> decided{first};
    opened.set_value();
    go_on.get_future().wait();
    if (Status s = (*store)->commit_open(); !s) return s;
    auto next = (*store)->write_and_claim(decided, 2000, 10, {"me", 9000}, &lost);
    if (!next) return next.status();
    return (*store)->commit_open();
  });
  opened.get_future().wait();
  auto reader = std::async(std::launch::async, [&] { return (*store)->find_post(b.id); });
  EXPECT_EQ(reader.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "a read from another thread waits while the transaction is open";
  go_on.set_value();
  Status finished = round.get();
  ASSERT_TRUE(finished) << finished.message();
  auto seen = reader.get();
  ASSERT_TRUE(seen && *seen);
  EXPECT_EQ((**seen).state, PostState::in_flight) << "the reader saw the committed claim";
  EXPECT_EQ(lost, 0);
  EXPECT_EQ((*(*store)->find_post(a.id))->state, PostState::done);
  EXPECT_EQ(chain_problem(**store), "");
}

/// What another connection (SQLite's own, not the store's) reads of the posts in `path`: how
/// many there are, and the total length of their texts.
std::pair<int64_t, int64_t> posts_seen_by_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  std::pair<int64_t, int64_t> seen{-1, -1};
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*), total(length(text)) FROM posts", -1, &stmt,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      seen = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)};
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return seen;
}

/// Stores `count` posts whose texts are `text_size` characters long, in one transaction.
Status insert_many(Store& store, int count, size_t text_size, const std::string& prefix) {
  std::vector<Post> posts;
  std::vector<AuditEntry> audits;
  for (int i = 0; i < count; ++i) {
    posts.push_back(make_post(prefix + std::to_string(i), 1000));
    posts.back().text = std::string(text_size, static_cast<char>('a' + i % 26));
    audits.push_back(submitted(1000));
  }
  return store.insert_posts(posts, audits);
}

// A group commit writes megabytes to the write-ahead log, gathered into few large writes: it
// is whole for another connection as soon as it returns, and still whole after the process
// that made it dies without closing the store.
TEST(SqliteStore, ALargeCommitIsWholeForOthersAndSurvivesTheProcessDying) {
  testing::TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store) << store.status().message();
    Status inserted = insert_many(**store, 3000, 500, "a");  // about 2 MB of log in one commit
    ASSERT_TRUE(inserted) << inserted.message();
    EXPECT_EQ(posts_seen_by_sqlite(path), std::make_pair(int64_t{3000}, int64_t{1'500'000}));
  }

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = open_sqlite_store(path);
    if (!store) _exit(1);
    if (!insert_many(**store, 3000, 300, "b")) _exit(2);
    kill(getpid(), SIGKILL);  // no close, no checkpoint: what is durable is what was synced
    _exit(3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(posts_seen_by_sqlite(path), std::make_pair(int64_t{6000}, int64_t{2'400'000}));

  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store) << store.status().message();
  auto posts = (*store)->list_posts();
  ASSERT_TRUE(posts) << posts.status().message();
  EXPECT_EQ(posts->size(), 6000u);
  EXPECT_EQ(chain_problem(**store), "") << "the audit chain is whole";
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

/// Posts in the database file itself, read from a copy of that file alone (without its log).
int64_t posts_in_database_file(testing::TempDir& dir, const std::string& db) {
  const std::string copy = dir.file("alone.db");
  for (const char* extra : {"-wal", "-shm"}) std::filesystem::remove(copy + extra);
  std::filesystem::copy_file(db, copy, std::filesystem::copy_options::overwrite_existing);
  sqlite3* c = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(copy.c_str(), &c, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(c, "SELECT count(*) FROM posts", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(c);
  return count;
}

// Commits do not copy the log into the database themselves (the commit that did was the slowest
// of hundreds): the store's own thread does, each time about 4 MiB of log wait to be copied,
// while the store goes on. Its posts are then in the database file, not only in the log.
TEST(SqliteStore, TheLogIsCopiedIntoTheDatabaseInTheBackground) {
  testing::TempDir dir;
  const std::string db = dir.file("herald.db");
  auto store = open_sqlite_store(db);
  ASSERT_TRUE(store) << store.status().message();
  int64_t written = 0;
  for (int chunk = 0; chunk < 40; ++chunk) {  // about 8 MiB of log in 40 commits
    std::vector<Post> posts;
    std::vector<AuditEntry> audits;
    for (int i = 0; i < 200; ++i, ++written) {
      Post p;
      p.workflow = "w";
      p.account = "corp";
      p.author = "ana";
      p.text = std::string(600, 'a' + static_cast<char>(i % 26)) + std::to_string(written);
      p.idempotency_key = "k-" + std::to_string(written);
      posts.push_back(std::move(p));
      audits.push_back({0, 1, "ana", "submit", "", "", "ready", ""});
    }
    ASSERT_TRUE((*store)->insert_posts(posts, audits));
  }
  int64_t in_file = 0;
  for (int waited = 0; waited < 200 && in_file < written / 2; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    in_file = posts_in_database_file(dir, db);
  }
  // Up to the last copy: the log is copied every 4 MiB or so, and 8 MiB were written.
  EXPECT_GE(in_file, written / 2) << "of " << written;
  // The store is whole, and closes while its thread may be copying.
  auto all = (*store)->list_posts();
  ASSERT_TRUE(all);
  EXPECT_EQ(static_cast<int64_t>(all->size()), written);
  store->reset();
  auto checked = check_store_file(db, /*full=*/true);
  ASSERT_TRUE(checked) << checked.status().message();
  EXPECT_FALSE(checked->has_value()) << **checked;
}

}  // namespace
}  // namespace herald
