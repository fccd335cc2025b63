// The SQLite store: WAL, synchronous=FULL, busy_timeout, one write transaction per method.
// All of Herald's SQL for SQLite lives in this file.
#include "store/store.hpp"

#include "store/audit_chain.hpp"
#include "store/checkpointer.hpp"
#include "store/wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>

#include <array>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace herald {
namespace {

constexpr int kApplicationId = 0x48524C44;  // "HRLD"

// Each entry moves the schema from version N to N+1.
constexpr std::array<const char*, 12> kMigrations = {
    R"sql(
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  workflow TEXT NOT NULL,
  account TEXT NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  publish_at_ms INTEGER NOT NULL,
  zone TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE
);
-- Where each post is: the narrow, often-written half of a post.
CREATE TABLE post_states (
  post_id INTEGER PRIMARY KEY,
  step_index INTEGER NOT NULL,
  step_kind TEXT NOT NULL,
  state TEXT NOT NULL,
  wake_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  expects TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  claim_seq INTEGER NOT NULL,
  claimed_from TEXT NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_expires_ms INTEGER NOT NULL,
  remote_id TEXT NOT NULL,
  note TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  step_events INTEGER NOT NULL DEFAULT 0,  -- events recorded for the current step
  -- When someone must look at the post next: its wake-up time while a worker may claim it
  -- (ready, waiting, unconfirmed), its lease expiry while claimed (in_flight), else NULL.
  due_ms INTEGER
);
CREATE INDEX post_states_due ON post_states (due_ms, post_id) WHERE due_ms IS NOT NULL;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL CHECK (post_id > 0),
  step_index INTEGER NOT NULL,
  type TEXT NOT NULL CHECK (type <> ''),
  actor TEXT NOT NULL,
  comment TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX events_post ON events (post_id, step_index);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  step TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_post ON audit (post_id);  -- entries of one post, in rowid (id) order
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql",
    // 2: each audit entry points at the post's previous entry, and each post at its last one, so
    // that one post's trail is found without an index that every audit insert would update.
    R"sql(
ALTER TABLE audit ADD COLUMN prev_id INTEGER;
ALTER TABLE post_states ADD COLUMN last_audit_id INTEGER NOT NULL DEFAULT 0;
UPDATE audit SET prev_id =
  (SELECT max(b.id) FROM audit b WHERE b.post_id = audit.post_id AND b.id < audit.id);
UPDATE post_states SET last_audit_id =
  coalesce((SELECT max(a.id) FROM audit a WHERE a.post_id = post_states.post_id), 0);
DROP INDEX audit_post;
)sql",
    // 3: approval chains and a tamper-evident trail. Posts keep their revisions and remember their
    // stage and when they reached their step; events say for whom, on which stage and on which
    // content they were given; the audit trail becomes one hash chain (hashes of existing entries
    // are filled in by the migration code, in id order).
    R"sql(
ALTER TABLE posts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE post_states ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE post_states ADD COLUMN step_entered_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN on_behalf TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE revisions (
  post_id INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  text TEXT NOT NULL,
  editor TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (post_id, revision)
) WITHOUT ROWID;
CREATE TABLE delegations (
  id INTEGER PRIMARY KEY,
  from_person TEXT NOT NULL,
  to_person TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  until_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql",
    // 4: scheduling. Each post remembers what a DST policy did to its requested time and the
    // instant its schedule step planned, with why; the plan of every account is indexed by
    // account and time (cadence) and by time (calendar). Pauses stop claims; engagement history
    // feeds best-time suggestions.
    R"sql(
ALTER TABLE posts ADD COLUMN time_note TEXT NOT NULL DEFAULT '';
ALTER TABLE post_states ADD COLUMN planned_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE post_states ADD COLUMN plan_note TEXT NOT NULL DEFAULT '';
CREATE TABLE plan (
  post_id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX plan_account ON plan (account, at_ms);
CREATE INDEX plan_at ON plan (at_ms);
CREATE INDEX posts_requested ON posts (publish_at_ms) WHERE publish_at_ms > 0;
CREATE TABLE pauses (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,  -- '' pauses every account
  reason TEXT NOT NULL,
  paused_by TEXT NOT NULL,
  paused_ms INTEGER NOT NULL,
  resumed_by TEXT NOT NULL DEFAULT '',
  resumed_ms INTEGER,
  resume_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX pauses_active ON pauses (account) WHERE resumed_ms IS NULL;
CREATE TABLE engagement (
  account TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  impressions INTEGER NOT NULL,
  engagements INTEGER NOT NULL,
  PRIMARY KEY (account, at_ms)
) WITHOUT ROWID;
)sql",
    // 5: a network's rate limit of an account, remembered across workers and restarts, so that
    // no worker calls before the reset the network gave.
    R"sql(
CREATE TABLE account_limits (
  account TEXT PRIMARY KEY,
  until_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 6: the text limit an account's network reported (a Mastodon instance's max_characters),
    // which the draft step counts against when the account sets no char_limit of its own.
    R"sql(
CREATE TABLE account_text_limits (
  account TEXT PRIMARY KEY,
  char_limit INTEGER NOT NULL,
  reported_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 7: inbound mentions, scored and decided (moderated, routed to a reply draft, or left in
    // the inbox), indexed for the inbox order and for repeat offenders; and the people who
    // opted in to share each account's posts (employee advocacy).
    R"sql(
CREATE TABLE mentions (
  id INTEGER PRIMARY KEY,
  source_id TEXT NOT NULL,
  network TEXT NOT NULL,
  account TEXT NOT NULL,
  author TEXT NOT NULL,
  followers INTEGER NOT NULL,
  engagement INTEGER NOT NULL,
  text TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  imported_ms INTEGER NOT NULL,
  score REAL NOT NULL,
  score_detail TEXT NOT NULL,
  action TEXT NOT NULL,
  rule TEXT NOT NULL,
  reply_post_id INTEGER NOT NULL DEFAULT 0,
  UNIQUE (network, source_id)
);
CREATE INDEX mentions_inbox ON mentions (score DESC, at_ms DESC);
CREATE INDEX mentions_author ON mentions (network, author, at_ms);
CREATE TABLE advocates (
  person TEXT NOT NULL,
  account TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  PRIMARY KEY (person, account)
) WITHOUT ROWID;
)sql",
    // 8: a mute, block or report decided for a mention is sent to its network by the account's
    // publisher: pending until it is (sending while the call is out), then sent, not offered
    // (the network has no such action) or refused; whether source_id is the network's own id.
    R"sql(
ALTER TABLE mentions ADD COLUMN moderation TEXT NOT NULL DEFAULT '';
ALTER TABLE mentions ADD COLUMN moderation_note TEXT NOT NULL DEFAULT '';
ALTER TABLE mentions ADD COLUMN from_network INTEGER NOT NULL DEFAULT 0;
CREATE INDEX mentions_pending ON mentions (id) WHERE moderation IN ('pending', 'sending');
)sql",
    // 9: an audit entry's hash is kept as its 32 bytes rather than 64 hex digits, and the hash of
    // the entry before it (prev_hash) is not stored twice: it is that entry's own hash. Entries
    // take about half the room. herald_digest() is registered for databases older than this.
    R"sql(
CREATE TABLE audit_v9 (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  step TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_id INTEGER,
  hash BLOB NOT NULL
);
INSERT INTO audit_v9 (id, post_id, at_ms, actor, action, step, from_state, to_state, detail,
                      prev_id, hash)
  SELECT id, post_id, at_ms, actor, action, step, from_state, to_state, detail, prev_id,
         herald_digest(hash) FROM audit ORDER BY id;
DROP TABLE audit;
ALTER TABLE audit_v9 RENAME TO audit;
)sql",
    // 10: which post has a network's id. A publisher that finds an earlier attempt by its text
    // (X, LinkedIn) asks whether another post of the account already claimed the id it found.
    R"sql(
CREATE INDEX post_states_remote_id ON post_states (remote_id) WHERE remote_id <> '';
)sql",
    // 11: a delegation can be revoked before its end: when, by whom and why.
    R"sql(
ALTER TABLE delegations ADD COLUMN revoked_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delegations ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE delegations ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
)sql",
    // 12: since when a post waits at its publish step for its account's rate limit (0: it does
    // not). Its trail records the wait once; while the limit holds, a claim only moves its wake
    // time to the reset.
    R"sql(
ALTER TABLE post_states ADD COLUMN limited_since_ms INTEGER NOT NULL DEFAULT 0;
)sql",
};

// herald_digest(text): the 32 bytes that 64 hex digits stand for. Anything else (a hash someone
// changed by hand) is kept as it is, as a blob: `herald audit verify` then reports that entry.
void herald_digest(sqlite3_context* context, int, sqlite3_value** args) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
  std::string_view hex(text ? text : "", static_cast<size_t>(sqlite3_value_bytes(args[0])));
  if (std::optional<Digest> digest = digest_from_hex(hex))
    sqlite3_result_blob(context, digest->data(), static_cast<int>(digest->size()),
                        SQLITE_TRANSIENT);
  else
    sqlite3_result_blob(context, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
}

constexpr std::string_view kEventColumns =
    "id, post_id, step_index, type, actor, comment, at_ms, on_behalf, content_hash, stage, "
    "revision";
// An entry's prev_hash is the hash of the entry before it: read_audit() takes it from the row
// read before (a scan in id order) or from kAuditPrevHash.
// What the audit rows of every schema version have (read_audit_fields()); then the hash.
constexpr std::string_view kAuditEntryColumns =
    "id, post_id, at_ms, actor, action, step, from_state, to_state, detail";
const std::string kAuditColumns = std::string(kAuditEntryColumns) + ", hash";
constexpr std::string_view kAuditPrevHash =
    "(SELECT b.hash FROM audit b WHERE b.id < audit.id ORDER BY b.id DESC LIMIT 1)";

// Both halves of a post, in the order read_post() reads them; `s` is post_states, `p` posts.
constexpr const char* kPostColumns =
    "p.id, p.workflow, p.account, p.author, p.text, p.tags, p.created_ms, p.publish_at_ms, p.zone, "
    "s.step_index, s.step_kind, s.state, s.wake_ms, s.reason, s.expects, s.attempt, s.claim_seq, "
    "s.claimed_from, s.lease_owner, s.lease_expires_ms, p.idempotency_key, s.remote_id, s.note, "
    "s.updated_ms, s.step_events, s.last_audit_id, p.revision, s.stage, s.step_entered_ms, "
    "p.time_note, s.planned_ms, s.plan_note, s.limited_since_ms";
constexpr const char* kPostTables = " FROM post_states s CROSS JOIN posts p ON p.id = s.post_id ";
// Leaves out posts of paused accounts, and everything while every account is paused. Both
// subqueries are uncorrelated: SQLite evaluates each once per statement.
constexpr const char* kNotPaused =
    "AND NOT EXISTS (SELECT 1 FROM pauses WHERE account = '' AND resumed_ms IS NULL) AND p.account "
    "NOT IN (SELECT account FROM pauses WHERE resumed_ms IS NULL)";

std::string encode_expects(const std::vector<Expectation>& expects) {
  std::vector<std::string> lines;
  for (const auto& e : expects) lines.push_back(e.type + "\t" + e.role);
  return join_lines(lines);
}

std::vector<Expectation> decode_expects(const std::string& text) {
  std::vector<Expectation> out;
  for (const auto& line : split_lines(text)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

/// When someone must look at the post next (see the due_ms column), or 0 (stored as NULL) when
/// only a person or nothing can move it.
int64_t due_ms_of(const Post& post) {
  if (post.state == PostState::in_flight) return post.lease_expires_ms;
  bool claimable = post.state == PostState::ready || post.state == PostState::waiting ||
                   post.state == PostState::unconfirmed;
  return claimable && post.wake_ms > 0 ? post.wake_ms : 0;
}

/// A prepared statement, reset after each use.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
        SQLITE_OK) {
      error_ = sqlite3_errmsg(db);
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool valid() const { return stmt_ != nullptr; }
  const std::string& error() const { return error_; }
  sqlite3_stmt* get() { return stmt_; }

  Statement& bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
  }
  Statement& bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  /// Binds NULL for 0.
  Statement& bind_optional(int index, int64_t value) {
    if (value == 0)
      sqlite3_bind_null(stmt_, index);
    else
      sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  // The text must stay alive until the statement is reset (every caller steps, then resets).
  Statement& bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& bind(int index, const Digest& value) {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
  }
  // Every use binds every parameter, so bindings need no clearing.
  void reset() { sqlite3_reset(stmt_); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)))
              : std::string();
}

PostEvent read_event(sqlite3_stmt* stmt) {
  PostEvent e;
  e.id = sqlite3_column_int64(stmt, 0);
  e.post_id = sqlite3_column_int64(stmt, 1);
  e.step_index = sqlite3_column_int(stmt, 2);
  e.type = column_text(stmt, 3);
  e.actor = column_text(stmt, 4);
  e.comment = column_text(stmt, 5);
  e.at_ms = sqlite3_column_int64(stmt, 6);
  e.on_behalf = column_text(stmt, 7);
  e.content_hash = column_text(stmt, 8);
  e.stage = column_text(stmt, 9);
  e.revision = sqlite3_column_int(stmt, 10);
  return e;
}

/// A hash column as 64 hex digits (a blob of any other size, which only a hand-made change can
/// leave, as the hex of its bytes; NULL, before the first entry, as the genesis hash).
std::string column_hash(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return audit_genesis_hash();
  const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, column));
  return to_hex(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

/// The kAuditEntryColumns, first in the row, into `r`.
void read_audit_fields(sqlite3_stmt* stmt, AuditRecord& r) {
  r.id = sqlite3_column_int64(stmt, 0);
  r.post_id = sqlite3_column_int64(stmt, 1);
  r.at_ms = sqlite3_column_int64(stmt, 2);
  r.actor = column_text(stmt, 3);
  r.action = column_text(stmt, 4);
  r.step = column_text(stmt, 5);
  r.from_state = column_text(stmt, 6);
  r.to_state = column_text(stmt, 7);
  r.detail = column_text(stmt, 8);
}

/// An audit row read with kAuditColumns, then kAuditPrevHash when `prev_hash` is null.
AuditRecord read_audit(sqlite3_stmt* stmt, const std::string* prev_hash = nullptr) {
  AuditRecord r;
  read_audit_fields(stmt, r);
  r.hash = column_hash(stmt, 9);
  r.prev_hash = prev_hash ? *prev_hash : column_hash(stmt, 10);
  return r;
}

/// Reads a row of kPostColumns into `post` (a new Post, or one to overwrite in place).
void read_post_into(sqlite3_stmt* stmt, Post& post) {
  int c = 0;
  post.id = sqlite3_column_int64(stmt, c++);
  post.workflow = column_text(stmt, c++);
  post.account = column_text(stmt, c++);
  post.author = column_text(stmt, c++);
  post.text = column_text(stmt, c++);
  post.tags = split_lines(column_text(stmt, c++));
  post.created_ms = sqlite3_column_int64(stmt, c++);
  post.publish_at_ms = sqlite3_column_int64(stmt, c++);
  post.zone = column_text(stmt, c++);
  post.step_index = sqlite3_column_int(stmt, c++);
  post.step_kind = column_text(stmt, c++);
  post.state = parse_post_state(column_text(stmt, c++)).value_or(PostState::failed);
  post.wake_ms = sqlite3_column_int64(stmt, c++);
  post.reason = column_text(stmt, c++);
  post.expects = decode_expects(column_text(stmt, c++));
  post.attempt = sqlite3_column_int(stmt, c++);
  post.claim_seq = sqlite3_column_int64(stmt, c++);
  post.claimed_from = parse_post_state(column_text(stmt, c++)).value_or(PostState::ready);
  post.lease_owner = column_text(stmt, c++);
  post.lease_expires_ms = sqlite3_column_int64(stmt, c++);
  post.idempotency_key = column_text(stmt, c++);
  post.remote_id = column_text(stmt, c++);
  post.note = column_text(stmt, c++);
  post.updated_ms = sqlite3_column_int64(stmt, c++);
  post.step_events = sqlite3_column_int(stmt, c++);
  post.last_audit_id = sqlite3_column_int64(stmt, c++);
  post.revision = sqlite3_column_int(stmt, c++);
  post.stage = column_text(stmt, c++);
  post.step_entered_ms = sqlite3_column_int64(stmt, c++);
  post.time_note = column_text(stmt, c++);
  post.planned_ms = sqlite3_column_int64(stmt, c++);
  post.plan_note = column_text(stmt, c++);
  post.limited_since_ms = sqlite3_column_int64(stmt, c++);
}

Post read_post(sqlite3_stmt* stmt) {
  Post post;
  read_post_into(stmt, post);
  return post;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    rollback_open();
    sqlite3_wal_hook(db_, nullptr, nullptr);  // the hook points at the checkpointer
    checkpointer_.reset();
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  /// Log copies on a thread of their own (checkpointer.hpp), for a store in a file.
  void copy_log_in_background(const char* vfs) {
    if (path_.empty() || path_ == ":memory:" || path_.rfind("file:", 0) == 0) return;
    checkpointer_ = std::make_unique<Checkpointer>(path_, vfs);
    checkpointer_->attach(db_);
  }

  Status initialize() {
    // A file that is not SQLite at all fails on the first read.
    Result<int64_t> app_id = pragma_int("PRAGMA application_id");
    if (!app_id) return not_herald(app_id.status().message());
    Result<int64_t> version = pragma_int("PRAGMA user_version");
    if (!version) return not_herald(version.status().message());
    Result<int64_t> tables = scalar_int("SELECT count(*) FROM sqlite_schema");
    if (!tables) return not_herald(tables.status().message());

    if (*app_id != kApplicationId && *tables > 0)
      return Status(ErrorCode::store,
                    path_ + ": this is a SQLite database, but not a Herald database (it has " +
                        std::to_string(*tables) +
                        " tables of something else). Point `store.path` at a new file.");
    // The file is not checked page by page here: that reads all of it, and every command would
    // cost more as the store grows. `herald doctor` checks it (store/integrity.hpp); damage met
    // while working is an error of the statement that met it.
    if (*version > static_cast<int64_t>(kMigrations.size()))
      return Status(ErrorCode::store, path_ + ": written by a newer Herald (schema version " +
                                          std::to_string(*version) + "; this Herald knows up to " +
                                          std::to_string(kMigrations.size()) +
                                          "). Upgrade Herald to use it.");

    if (Status s = exec("PRAGMA journal_mode=WAL"); !s) return s;
    if (Status s = exec("PRAGMA synchronous=FULL"); !s) return s;
    if (Status s = exec("PRAGMA cache_size=-32000"); !s) return s;  // 32 MiB
    if (Status s = exec("PRAGMA temp_store=MEMORY"); !s) return s;
    // The log is copied into the database by the store's checkpointer (copy_log_in_background),
    // which replaces SQLite's automatic checkpoint.
    if (Status s = exec("PRAGMA journal_size_limit=67108864"); !s) return s;

    // Migration 9 turns hex hashes into bytes with herald_digest().
    if (*version < 9 &&
        sqlite3_create_function(db_, "herald_digest", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                nullptr, herald_digest, nullptr, nullptr) != SQLITE_OK)
      return error("registering herald_digest()");
    for (int64_t v = *version; v < static_cast<int64_t>(kMigrations.size()); ++v) {
      if (Status s = exec("BEGIN IMMEDIATE"); !s) return s;
      Status applied = exec(kMigrations[static_cast<size_t>(v)]);
      if (applied && v + 1 == 3) applied = chain_existing_audit();
      if (applied) applied = exec("PRAGMA application_id=" + std::to_string(kApplicationId));
      if (applied) applied = exec("PRAGMA user_version=" + std::to_string(v + 1));
      if (applied) applied = exec("COMMIT");
      if (!applied) {
        (void)exec("ROLLBACK");
        return Status(ErrorCode::store, path_ + ": migrating the schema to version " +
                                            std::to_string(v + 1) +
                                            " failed: " + applied.message());
      }
    }
    return Status::ok();
  }

  Status insert_post(Post& post, const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Result<ChainHead> head = audit_head();
      if (!head) return head.status();
      post.last_audit_id = head->id + 1;
      if (Status s = insert_row(post); !s) return s;
      AuditEntry entry = audit;
      entry.post_id = post.id;
      seal(entry, *head);
      return write_audit(entry);
    });
  }

  Result<std::optional<Post>> find_post(int64_t id) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt =
        statement(std::string("SELECT ") + kPostColumns + kPostTables + "WHERE s.post_id = ?1");
    stmt.bind(1, id);
    std::optional<Post> found;
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) found = read_post(stmt.get());
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("reading post");
    return found;
  }

  Result<std::vector<Post>> list_posts() override {
    const std::lock_guard hold(mutex_);
    Statement& stmt =
        statement(std::string("SELECT ") + kPostColumns + kPostTables + "ORDER BY s.post_id");
    std::vector<Post> posts;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) posts.push_back(read_post(stmt.get()));
    stmt.reset();
    if (rc != SQLITE_DONE) return error("listing posts");
    return posts;
  }

  Status add_event(const PostEvent& event, const Post& seen, const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      AuditEntry entry = audit;
      Result<ChainHead> head = audit_head();
      if (!head) return head.status();
      entry.id = head->id + 1;
      Statement& prev = statement("SELECT last_audit_id FROM post_states WHERE post_id = ?1");
      prev.bind(1, event.post_id);
      int found = sqlite3_step(prev.get());
      entry.prev_id = found == SQLITE_ROW ? sqlite3_column_int64(prev.get(), 0) : 0;
      prev.reset();
      if (found != SQLITE_ROW && found != SQLITE_DONE) return error("reading the post's trail");
      Statement& wake = statement(
          "UPDATE post_states SET state = ?6, wake_ms = ?7, due_ms = ?8, updated_ms = ?1, "
          "step_events = step_events + 1, last_audit_id = ?9, limited_since_ms = 0, "
          "attempt = CASE WHEN ?4 = 'quarantined' THEN 0 ELSE attempt END "
          "WHERE post_id = ?2 AND claim_seq = ?3 AND state = ?4 AND step_index = ?5");
      // A waiting or held post wakes up now; a post that is already due keeps its time.
      Post woken = seen;
      if (seen.state == PostState::waiting || seen.state == PostState::held) {
        woken.state = PostState::ready;
        woken.wake_ms = event.at_ms;
      } else if (seen.state == PostState::quarantined) {
        // Released by a person: its attempts start again, and a publish step whose call may
        // have reached the network reconciles first.
        woken.state = seen.step_kind == "publish" ? PostState::unconfirmed : PostState::ready;
        woken.wake_ms = event.at_ms;
      } else if (seen.state == PostState::unconfirmed && seen.wake_ms == 0) {
        woken.wake_ms = event.at_ms;  // parked for a person: looked for again, first thing
      }
      wake.bind(1, event.at_ms).bind(2, event.post_id).bind(3, seen.claim_seq);
      wake.bind(6, to_string(woken.state))
          .bind(7, woken.wake_ms)
          .bind_optional(8, due_ms_of(woken));
      wake.bind(4, to_string(seen.state)).bind(5, int64_t{seen.step_index}).bind(9, entry.id);
      int rc = sqlite3_step(wake.get());
      wake.reset();
      if (rc != SQLITE_DONE) return error("waking the post");
      if (sqlite3_changes(db_) != 1)
        return Status(ErrorCode::failed_precondition,
                      "post " + std::to_string(event.post_id) +
                          " changed while the event was being recorded; look at it again with "
                          "`herald status` and retry");
      if (Status s = write_event(event); !s) return s;
      seal(entry, *head);
      return write_audit(entry);
    });
  }

  Result<std::vector<PostEvent>> events_for(int64_t post_id, int step_index,
                                            int revision) override {
    const std::lock_guard hold(mutex_);
    static const std::string sql =
        "SELECT " + std::string(kEventColumns) +
        " FROM events WHERE post_id = ?1 AND step_index = ?2 AND revision = ?3 ORDER BY id";
    Statement& stmt = statement(sql);
    stmt.bind(1, post_id).bind(2, int64_t{step_index}).bind(3, int64_t{revision});
    return read_events(stmt);
  }

  Result<std::vector<PostEvent>> post_events(int64_t post_id) override {
    const std::lock_guard hold(mutex_);
    static const std::string sql =
        "SELECT " + std::string(kEventColumns) + " FROM events WHERE post_id = ?1 ORDER BY id";
    Statement& stmt = statement(sql);
    stmt.bind(1, post_id);
    return read_events(stmt);
  }

  Result<std::vector<PostEvent>> read_events(Statement& stmt) {
    std::vector<PostEvent> events;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) events.push_back(read_event(stmt.get()));
    stmt.reset();
    if (rc != SQLITE_DONE) return error("reading events");
    return events;
  }

  Result<std::map<int64_t, std::vector<PostEvent>>> events_for_posts(
      const std::vector<Post>& posts) override {
    const std::lock_guard hold(mutex_);
    std::map<int64_t, std::vector<PostEvent>> found;
    if (posts.empty()) return found;
    std::map<int64_t, std::pair<int, int>> step_of;  // post -> (step, revision)
    std::string ids = "[";
    for (const Post& p : posts) {
      if (p.step_events == 0) continue;
      step_of[p.id] = {p.step_index, p.revision};
      ids += (ids.size() > 1 ? "," : "") + std::to_string(p.id);
    }
    ids += "]";
    if (step_of.empty()) return found;
    static const std::string sql =
        "SELECT " + std::string(kEventColumns) +
        " FROM events WHERE post_id IN (SELECT value FROM json_each(?1)) ORDER BY id";
    Statement& stmt = statement(sql);
    stmt.bind(1, ids);
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      PostEvent e = read_event(stmt.get());
      if (step_of[e.post_id] == std::make_pair(e.step_index, e.revision))
        found[e.post_id].push_back(std::move(e));
    }
    stmt.reset();
    if (rc != SQLITE_DONE) return error("reading events");
    return found;
  }

  // The newest entry of the audit chain (id 0 and the genesis hash when there is none).
  struct ChainHead {
    int64_t id = 0;
    Digest hash{};  // all zeros: the genesis hash
  };

  Status commit_open() override {
    if (!open_) return Status(ErrorCode::internal, "commit_open() without write_and_claim()");
    open_ = false;
    Status s = run(statement("COMMIT"), "committing");
    if (!s) (void)exec("ROLLBACK");
    mutex_.unlock();
    return s;
  }

  void rollback_open() override {
    if (!open_) return;
    open_ = false;
    (void)exec("ROLLBACK");
    mutex_.unlock();
  }

  Result<std::vector<Post>> write_and_claim(std::vector<Transition>& transitions, int64_t now_ms,
                                            int claim_limit, const Lease& lease,
                                            int64_t* lost) override {
    mutex_.lock();  // kept until commit_open() or rollback_open()
    std::vector<Post> claimed;
    claimed.reserve(static_cast<size_t>(std::max(claim_limit, 0)));
    std::vector<AuditEntry*> audits;
    audits.reserve(transitions.size() * 4);
    int64_t lost_count = 0;
    if (Status s = run(statement("BEGIN IMMEDIATE"), "starting a transaction"); !s) {
      mutex_.unlock();
      return s;
    }
    Status status = [&]() -> Status {
      ChainHead head;
      if (!transitions.empty()) {
        Result<ChainHead> found = audit_head();
        if (!found) return found.status();
        head = std::move(*found);
      }
      Result<bool> ahead = write_hashing_ahead(transitions, head);
      if (!ahead) return ahead.status();
      if (*ahead) return claim_due(claimed, now_ms, claim_limit, lease);
      int64_t last_id = head.id;
      for (Transition& t : transitions) {
        // Chain the new entries onto the post's trail. No one else writes to the trail of a
        // post while it is claimed, and the claim is checked below.
        const int64_t before = t.post.last_audit_id;
        number_entries(t, last_id);
        Result<bool> written = write_transition(t);
        if (!written) return written.status();
        if (!*written) {
          ++lost_count;  // the claim was rescued by someone else: do not overwrite
          last_id -= static_cast<int64_t>(t.audit.size());
          t.post.last_audit_id = before;
          continue;
        }
        for (AuditEntry& a : t.audit) audits.push_back(&a);
        // Posts the step made: new rows whose first audit entry follows the step's.
        for (size_t i = 0; i < t.spawned.size(); ++i) {
          Post& made = t.spawned[i];
          AuditEntry& entry = t.spawned_audit[i];
          made.last_audit_id = last_id + 1;
          if (Status s = insert_row(made); !s) return s;
          entry.post_id = made.id;
          entry.id = ++last_id;
          entry.prev_id = 0;
          audits.push_back(&entry);
        }
      }
      for (AuditEntry* a : audits) seal(*a, head);
      if (Status s = write_audits(audits); !s) return s;
      return claim_due(claimed, now_ms, claim_limit, lease);
    }();
    if (!status) {
      (void)exec("ROLLBACK");
      mutex_.unlock();
      return status;
    }
    open_ = true;
    if (lost) *lost = lost_count;
    return claimed;
  }

  /// Gives the transition's audit entries the ids after `last_id` and links them onto the post's
  /// trail.
  static void number_entries(Transition& t, int64_t& last_id) {
    for (AuditEntry& a : t.audit) {
      a.post_id = t.post.id;
      a.id = ++last_id;
      a.prev_id = t.post.last_audit_id;
      t.post.last_audit_id = a.id;
    }
  }

  /// Writes a transition's post state and what goes with it (plan, limits, events), but not its
  /// audit entries. False when the claim was lost (nothing written).
  Result<bool> write_transition(const Transition& t) {
    if (Status s = update_row(t.post, t.expected_claim_seq, t.text_changed); !s) return s;
    if (sqlite3_changes(db_) != 1) return false;
    if (t.plan_changed)
      if (Status s = write_plan(t.post); !s) return s;
    if (t.account_limited_until_ms > 0) {
      Statement& limit = statement(
          "INSERT INTO account_limits (account, until_ms) VALUES (?1, ?2) ON CONFLICT "
          "(account) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)");
      limit.bind(1, t.post.account).bind(2, t.account_limited_until_ms);
      if (Status s = run(limit, "recording a rate limit"); !s) return s;
    }
    if (t.network_char_limit > 0) {
      Statement& limit = statement(
          "INSERT INTO account_text_limits (account, char_limit, reported_ms) VALUES "
          "(?1, ?2, ?3) ON CONFLICT (account) DO UPDATE SET char_limit = "
          "excluded.char_limit, reported_ms = excluded.reported_ms");
      limit.bind(1, t.post.account).bind(2, t.network_char_limit).bind(3, t.post.updated_ms);
      if (Status s = run(limit, "recording a text limit"); !s) return s;
    }
    for (const PostEvent& e : t.emitted)
      if (Status s = write_event(e); !s) return s;
    return true;
  }

  /// A large round's audit entries are hashed on a second thread while this one writes the
  /// post states: every entry's id and its place in the chain are known before any row is
  /// written (the chain itself is hashed in order, each entry covering the one before it).
  /// That holds unless a claim turns out to be lost, which renumbers the entries after it, or
  /// a step made new posts, whose ids come from their insert: then nothing of this is kept
  /// (the savepoint is rolled back) and false is returned for the plain path. True: the
  /// transitions and their entries are written.
  static constexpr size_t kHashAheadEntries = 64;
  Result<bool> write_hashing_ahead(std::vector<Transition>& transitions, ChainHead& head) {
    std::vector<AuditEntry*> entries;
    for (Transition& t : transitions) {
      if (!t.spawned.empty()) return false;
      for (AuditEntry& a : t.audit) entries.push_back(&a);
    }
    if (entries.size() < kHashAheadEntries) return false;
    std::vector<int64_t> trail_before;  // each post's newest entry, to undo the numbering
    trail_before.reserve(transitions.size());
    int64_t last_id = head.id;
    for (Transition& t : transitions) {
      trail_before.push_back(t.post.last_audit_id);
      number_entries(t, last_id);
    }
    if (Status s = exec("SAVEPOINT hashing_ahead"); !s) return s;
    ChainHead sealed = head;
    // Joined before this function returns, whatever happens below (the future's destructor
    // waits), so the entries it reads outlive it.
    std::future<void> hashing = std::async(std::launch::async, [&entries, &sealed] {
      for (AuditEntry* a : entries) seal(*a, sealed);
    });
    bool all_written = true;
    Status outcome = Status::ok();
    for (Transition& t : transitions) {
      Result<bool> written = write_transition(t);
      if (!written) {
        outcome = written.status();
        break;
      }
      if (!*written) {
        all_written = false;
        break;
      }
    }
    hashing.get();  // rethrows what the hashing threw
    if (outcome && all_written) outcome = write_audits(entries);
    if (!outcome) {  // the caller rolls the whole transaction back
      (void)exec("ROLLBACK TO hashing_ahead");
      (void)exec("RELEASE hashing_ahead");
      return outcome;
    }
    if (!all_written) {
      if (Status s = exec("ROLLBACK TO hashing_ahead"); !s) return s;
      if (Status s = exec("RELEASE hashing_ahead"); !s) return s;
      for (size_t i = 0; i < transitions.size(); ++i)
        transitions[i].post.last_audit_id = trail_before[i];
      return false;
    }
    if (Status s = exec("RELEASE hashing_ahead"); !s) return s;
    head = sealed;
    return true;
  }

  /// Claims up to `claim_limit` due posts for `lease` (inside the caller's transaction). A due
  /// post that already waits at its publish step for its account's rate limit, which still
  /// holds, is not claimed: its wake time moves to the limit's reset, with no step run and no
  /// audit entry (its trail recorded the wait when it began).
  Status claim_due(std::vector<Post>& claimed, int64_t now_ms, int claim_limit,
                   const Lease& lease) {
    if (claim_limit <= 0) return Status::ok();
    Result<std::map<std::string, int64_t>> limits = limits_in_force(now_ms);
    if (!limits) return limits.status();
    // Select, then update row by row: no temporary tables, and the due index is walked in
    // order. With limits in force the walk goes on past the posts it leaves where they are.
    static const std::string select_due =
        std::string("SELECT ") + kPostColumns + kPostTables +
        "WHERE s.due_ms IS NOT NULL AND s.due_ms <= ?1 AND s.state <> 'in_flight' " + kNotPaused +
        " ORDER BY s.due_ms, s.post_id LIMIT ?2";
    Statement& due = statement(select_due);
    due.bind(1, now_ms).bind(2, limits->empty() ? int64_t{claim_limit} : int64_t{-1});
    struct Deferred {
      int64_t post_id;
      int64_t until_ms;
      std::string reason;
    };
    std::vector<Deferred> deferred;
    int rc = SQLITE_DONE;
    while (static_cast<int>(claimed.size()) < claim_limit &&
           (rc = sqlite3_step(due.get())) == SQLITE_ROW) {
      Post& post = claimed.emplace_back();
      read_post_into(due.get(), post);
      if (limits->empty() || post.limited_since_ms == 0 || post.step_kind != "publish" ||
          (post.state != PostState::waiting && post.state != PostState::unconfirmed))
        continue;
      auto limit = limits->find(post.account);
      if (limit == limits->end()) continue;
      deferred.push_back({post.id, limit->second,
                          rate_limit_wait_reason(post.account, limit->second,
                                                 post.state == PostState::unconfirmed)});
      claimed.pop_back();
    }
    if (static_cast<int>(claimed.size()) >= claim_limit) rc = SQLITE_DONE;
    due.reset();
    if (rc != SQLITE_DONE) return error("finding due posts");
    for (const Deferred& d : deferred) {
      Statement& later = statement(
          "UPDATE post_states SET wake_ms = ?2, due_ms = ?2, reason = ?3, updated_ms = ?4 "
          "WHERE post_id = ?1");
      later.bind(1, d.post_id).bind(2, d.until_ms).bind(3, d.reason).bind(4, now_ms);
      if (Status s = run(later, "moving a rate-limited post to its account's reset"); !s) return s;
    }
    if (claimed.empty()) return Status::ok();
    std::string ids = "[";
    for (const Post& post : claimed) ids += (ids.size() > 1 ? "," : "") + std::to_string(post.id);
    ids += "]";
    Statement& claim = statement(
        "UPDATE post_states SET state = 'in_flight', claimed_from = state, claim_seq = "
        "claim_seq + 1, lease_owner = ?1, lease_expires_ms = ?2, due_ms = ?2 "
        "WHERE post_id IN (SELECT value FROM json_each(?3))");
    claim.bind(1, lease.owner).bind(2, lease.expires_ms).bind(3, ids);
    rc = sqlite3_step(claim.get());
    claim.reset();
    for (Post& post : claimed) {
      post.claimed_from = post.state;
      post.state = PostState::in_flight;
      post.claim_seq += 1;
      post.lease_owner = lease.owner;
      post.lease_expires_ms = lease.expires_ms;
    }
    if (rc != SQLITE_DONE) return error("claiming due posts");
    return Status::ok();
  }

  Result<int64_t> rescue_expired(int64_t now_ms) override {
    return take_up("due_ms IS NOT NULL AND due_ms <= ?1", "", now_ms, "rescuing expired claims");
  }

  Result<int64_t> rescue_owner(const std::string& owner, int64_t now_ms) override {
    return take_up("lease_owner = ?2", owner, now_ms, "taking up the claims of a stopped worker");
  }

  /// Turns the claims that match `where` (?1 is now_ms, ?2 the owner) back into work: `ready`,
  /// or `unconfirmed` at a publish step; their claim_seq bumped, which fences off the worker.
  Result<int64_t> take_up(const std::string& where, const std::string& owner, int64_t now_ms,
                          const char* doing) {
    const std::lock_guard hold(mutex_);
    int64_t rescued = 0;
    Status status = in_transaction([&]() -> Status {
      Statement& rescue = statement(
          "UPDATE post_states SET state = CASE WHEN step_kind = 'publish' THEN 'unconfirmed' "
          "ELSE 'ready' END, wake_ms = ?1, due_ms = ?1, updated_ms = "
          "?1, claim_seq = claim_seq + 1, "
          "lease_owner = '', reason = 'the worker that claimed it stopped; taken up again' "
          "WHERE state = 'in_flight' AND " +
          where);
      rescue.bind(1, now_ms);
      if (!owner.empty()) rescue.bind(2, owner);
      int rc = sqlite3_step(rescue.get());
      rescue.reset();
      if (rc != SQLITE_DONE) return error(doing);
      rescued = sqlite3_changes(db_);
      return Status::ok();
    });
    if (!status) return status;
    return rescued;
  }

  Result<std::optional<int64_t>> next_wake() override {
    const std::lock_guard hold(mutex_);
    // Leases count: a worker that died holding a claim is taken over when its lease expires.
    // The due index is walked in order and the walk stops at the first post not paused.
    static const std::string sql = std::string("SELECT s.due_ms") + kPostTables +
                                   "WHERE s.due_ms IS NOT NULL " + kNotPaused +
                                   " ORDER BY s.due_ms LIMIT 1";
    Statement& stmt = statement(sql);
    std::optional<int64_t> wake;
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) wake = sqlite3_column_int64(stmt.get(), 0);
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("finding the next wake-up");
    return wake;
  }

  Result<std::vector<AuditRecord>> audit(std::optional<int64_t> post_id) override {
    const std::lock_guard hold(mutex_);
    if (!post_id) {
      std::vector<AuditRecord> records;
      if (Status s = scan_chain([&](AuditRecord&& r) {
            records.push_back(std::move(r));
            return true;
          });
          !s)
        return s;
      return records;
    }
    // One post's trail is followed from its last entry back through prev_id. A link always
    // points back to an earlier entry; one that does not (a changed database) ends the walk
    // instead of going round a loop for ever.
    static const std::string one_post =
        "WITH RECURSIVE trail(id) AS ("
        "SELECT last_audit_id FROM post_states WHERE post_id = ?1 AND last_audit_id > 0 "
        "UNION ALL SELECT a.prev_id FROM audit a JOIN trail t ON a.id = t.id "
        "WHERE a.prev_id IS NOT NULL AND a.prev_id < a.id) SELECT " +
        kAuditColumns + ", " + std::string(kAuditPrevHash) +
        " FROM audit WHERE id IN trail ORDER BY id";
    Statement& stmt = statement(one_post);
    stmt.bind(1, *post_id);
    std::vector<AuditRecord> records;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) records.push_back(read_audit(stmt.get()));
    stmt.reset();
    if (rc != SQLITE_DONE) return error("reading the audit trail");
    return records;
  }

  Status scan_audit(const std::function<bool(const AuditRecord&)>& visit) override {
    const std::lock_guard hold(mutex_);
    // A read transaction: one consistent snapshot of the whole chain.
    if (Status s = exec("BEGIN"); !s) return s;
    Status scanned = scan_chain([&](AuditRecord&& r) { return visit(r); });
    (void)exec("COMMIT");
    return scanned;
  }

  /// Every entry in id order, each with the hash of the one before it as its prev_hash.
  Status scan_chain(const std::function<bool(AuditRecord&&)>& visit) {
    static const std::string sql = "SELECT " + kAuditColumns + " FROM audit ORDER BY id";
    Statement& stmt = statement(sql);
    std::string prev_hash = audit_genesis_hash();
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      AuditRecord r = read_audit(stmt.get(), &prev_hash);
      prev_hash = r.hash;
      if (!visit(std::move(r))) {
        rc = SQLITE_DONE;
        break;
      }
    }
    stmt.reset();
    if (rc != SQLITE_DONE) return error("reading the audit trail");
    return Status::ok();
  }

  Status edit_post(const Post& seen, Post& updated, const Revision& superseded,
                   const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Result<ChainHead> head = audit_head();
      if (!head) return head.status();
      AuditEntry entry = audit;
      entry.post_id = seen.id;
      entry.prev_id = seen.last_audit_id;
      updated.last_audit_id = head->id + 1;
      if (Status s = update_row(updated, seen.claim_seq, true); !s) return s;
      if (sqlite3_changes(db_) != 1)
        return Status(ErrorCode::failed_precondition,
                      "post " + std::to_string(seen.id) +
                          " changed while the edit was being saved; look at it again with "
                          "`herald status` and retry");
      if (Status s = write_plan(updated); !s) return s;
      Statement& keep = statement(
          "INSERT INTO revisions (post_id, revision, text, editor, at_ms, reason) VALUES (?1, ?2, "
          "?3, ?4, ?5, ?6)");
      keep.bind(1, superseded.post_id).bind(2, int64_t{superseded.revision});
      keep.bind(3, superseded.text).bind(4, superseded.editor).bind(5, superseded.at_ms);
      keep.bind(6, superseded.reason);
      if (Status s = run(keep, "keeping the earlier revision"); !s) return s;
      seal(entry, *head);
      return write_audit(entry);
    });
  }

  Result<std::vector<Revision>> revisions(int64_t post_id) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT post_id, revision, text, editor, at_ms, reason FROM revisions WHERE post_id = ?1 "
        "ORDER BY revision");
    stmt.bind(1, post_id);
    return collect<Revision>(
        stmt,
        [](sqlite3_stmt* row) {
          return Revision{sqlite3_column_int64(row, 0), sqlite3_column_int(row, 1),
                          column_text(row, 2),          column_text(row, 3),
                          sqlite3_column_int64(row, 4), column_text(row, 5)};
        },
        "reading revisions");
  }

  Status add_delegation(Delegation& delegation, const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Statement& stmt = statement(
          "INSERT INTO delegations (from_person, to_person, since_ms, until_ms, created_by, "
          "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      stmt.bind(1, delegation.from).bind(2, delegation.to).bind(3, delegation.since_ms);
      stmt.bind(4, delegation.until_ms).bind(5, delegation.created_by);
      stmt.bind(6, delegation.created_ms);
      if (Status s = run(stmt, "recording the delegation"); !s) return s;
      delegation.id = sqlite3_last_insert_rowid(db_);
      return append_audit(audit);
    });
  }

  Status revoke_delegation(const Delegation& delegation, const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Statement& stmt = statement(
          "UPDATE delegations SET revoked_ms = ?2, revoked_by = ?3, revoke_reason = ?4 "
          "WHERE id = ?1 AND revoked_ms = 0");
      stmt.bind(1, delegation.id).bind(2, delegation.revoked_ms).bind(3, delegation.revoked_by);
      stmt.bind(4, delegation.revoke_reason);
      if (Status s = run(stmt, "revoking the delegation"); !s) return s;
      if (sqlite3_changes(db_) != 1)
        return Status(ErrorCode::failed_precondition,
                      "delegation " + std::to_string(delegation.id) + " was already revoked");
      return append_audit(audit);
    });
  }

  Status insert_posts(std::vector<Post>& posts, const std::vector<AuditEntry>& audits) override {
    const std::lock_guard hold(mutex_);
    if (posts.size() != audits.size())
      return Status(ErrorCode::internal, "insert_posts: one audit entry per post");
    return in_transaction([&]() -> Status {
      Result<ChainHead> head = audit_head();
      if (!head) return head.status();
      for (size_t i = 0; i < posts.size(); ++i) {
        posts[i].last_audit_id = head->id + 1;
        if (Status s = insert_row(posts[i]); !s) return s;
        AuditEntry entry = audits[i];
        entry.post_id = posts[i].id;
        seal(entry, *head);
        if (Status s = write_audit(entry); !s) return s;
      }
      return Status::ok();
    });
  }

  Result<std::vector<PlanEntry>> planned(const std::string& account, int64_t from_ms,
                                         int64_t to_ms) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT l.post_id, l.at_ms, s.state FROM plan l CROSS JOIN post_states s ON s.post_id = "
        "l.post_id WHERE l.account = ?1 AND l.at_ms >= ?2 AND l.at_ms < ?3 AND s.state NOT IN "
        "('rejected', 'failed', 'cancelled') ORDER BY l.at_ms, l.post_id");
    stmt.bind(1, account).bind(2, from_ms).bind(3, to_ms);
    return collect<PlanEntry>(
        stmt,
        [](sqlite3_stmt* row) {
          return PlanEntry{sqlite3_column_int64(row, 0), sqlite3_column_int64(row, 1),
                           parse_post_state(column_text(row, 2)).value_or(PostState::waiting)};
        },
        "reading the plan");
  }

  Result<int64_t> remote_id_owner(const std::string& account, const std::string& remote_id,
                                  int64_t except_post) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT s.post_id FROM post_states s CROSS JOIN posts p ON p.id = s.post_id "
        "WHERE s.remote_id = ?1 AND s.remote_id <> '' AND p.account = ?2 AND s.post_id <> ?3 "
        "ORDER BY s.post_id LIMIT 1");
    stmt.bind(1, remote_id).bind(2, account).bind(3, except_post);
    int rc = sqlite3_step(stmt.get());
    int64_t owner = rc == SQLITE_ROW ? sqlite3_column_int64(stmt.get(), 0) : 0;
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("looking up a remote id");
    return owner;
  }

  Result<std::vector<Post>> calendar(int64_t from_ms, int64_t to_ms,
                                     const std::string& account) override {
    const std::lock_guard hold(mutex_);
    // Planned posts through the plan index; requested times of posts not planned yet through
    // the partial index on posts.
    static const std::string sql =
        std::string("SELECT ") + kPostColumns + kPostTables +
        "WHERE p.id IN (SELECT post_id FROM plan WHERE at_ms >= ?1 AND at_ms < ?2) "
        "AND (?3 = '' OR p.account = ?3) UNION ALL SELECT " +
        kPostColumns + kPostTables +
        "WHERE p.publish_at_ms > 0 AND p.publish_at_ms >= ?1 AND p.publish_at_ms < ?2 AND "
        "s.planned_ms = 0 AND (?3 = '' OR p.account = ?3)";
    Statement& stmt = statement(sql);
    stmt.bind(1, from_ms).bind(2, to_ms).bind(3, account);
    Result<std::vector<Post>> found = collect<Post>(stmt, read_post, "reading the calendar");
    if (!found) return found;
    std::vector<Post>& out = *found;
    auto when = [](const Post& p) { return p.planned_ms ? p.planned_ms : p.publish_at_ms; };
    std::stable_sort(out.begin(), out.end(), [&](const Post& a, const Post& b) {
      return std::pair(when(a), a.id) < std::pair(when(b), b.id);
    });
    return found;
  }

  Status add_pause(Pause& pause, const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Statement& find = statement(
          "SELECT paused_by, paused_ms, reason FROM pauses WHERE account = ?1 AND resumed_ms IS "
          "NULL");
      find.bind(1, pause.account);
      int rc = sqlite3_step(find.get());
      std::string by = rc == SQLITE_ROW ? column_text(find.get(), 0) : "";
      int64_t since = rc == SQLITE_ROW ? sqlite3_column_int64(find.get(), 1) : 0;
      std::string why = rc == SQLITE_ROW ? column_text(find.get(), 2) : "";
      find.reset();
      if (rc == SQLITE_ROW)
        return Status(ErrorCode::failed_precondition,
                      (pause.account.empty() ? std::string("every account")
                                             : "account '" + pause.account + "'") +
                          " is already paused by " + by + " (since Unix ms " +
                          std::to_string(since) + ": " + why + "); nothing changed");
      if (rc != SQLITE_DONE) return error("reading pauses");
      Statement& add = statement(
          "INSERT INTO pauses (account, reason, paused_by, paused_ms) VALUES (?1, ?2, ?3, ?4)");
      add.bind(1, pause.account).bind(2, pause.reason).bind(3, pause.paused_by);
      add.bind(4, pause.paused_ms);
      if (Status s = run(add, "recording the pause"); !s) return s;
      pause.id = sqlite3_last_insert_rowid(db_);
      return append_audit(audit);
    });
  }

  Result<Pause> end_pause(const std::string& account, const std::string& by,
                          const std::string& reason, int64_t at_ms,
                          const AuditEntry& audit) override {
    const std::lock_guard hold(mutex_);
    Pause ended;
    Status status = in_transaction([&]() -> Status {
      Result<std::vector<Pause>> active = active_pauses();
      if (!active) return active.status();
      auto it = std::find_if(active->begin(), active->end(),
                             [&](const Pause& p) { return p.account == account; });
      if (it == active->end())
        return Status(ErrorCode::not_found, (account.empty() ? std::string("every account")
                                                             : "account '" + account + "'") +
                                                " is not paused; nothing to resume");
      ended = *it;
      Statement& end = statement(
          "UPDATE pauses SET resumed_by = ?2, resumed_ms = ?3, resume_reason = ?4 WHERE id = ?1 "
          "AND resumed_ms IS NULL");
      end.bind(1, ended.id).bind(2, by).bind(3, at_ms).bind(4, reason);
      if (Status s = run(end, "ending the pause"); !s) return s;
      ended.resumed_by = by;
      ended.resumed_ms = at_ms;
      ended.resume_reason = reason;
      return append_audit(audit);
    });
    if (!status) return status;
    return ended;
  }

  Result<std::map<std::string, int64_t>> account_limits(int64_t now_ms) override {
    const std::lock_guard hold(mutex_);
    return limits_in_force(now_ms);
  }

  /// Rate limits still in force at `now_ms`: account -> reset.
  Result<std::map<std::string, int64_t>> limits_in_force(int64_t now_ms) {
    Statement& stmt = statement("SELECT account, until_ms FROM account_limits WHERE until_ms > ?1");
    stmt.bind(1, now_ms);
    return per_account(stmt, "reading rate limits");
  }

  Result<std::map<std::string, int64_t>> text_limits() override {
    const std::lock_guard hold(mutex_);
    return per_account(statement("SELECT account, char_limit FROM account_text_limits"),
                       "reading text limits");
  }

  /// Rows of (account, number) as a map.
  Result<std::map<std::string, int64_t>> per_account(Statement& stmt, const char* what) {
    Result<std::vector<std::pair<std::string, int64_t>>> rows =
        collect<std::pair<std::string, int64_t>>(
            stmt,
            [](sqlite3_stmt* row) {
              return std::pair(column_text(row, 0), sqlite3_column_int64(row, 1));
            },
            what);
    if (!rows) return rows.status();
    return std::map<std::string, int64_t>(rows->begin(), rows->end());
  }

  Result<std::vector<Pause>> active_pauses() override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT id, account, reason, paused_by, paused_ms FROM pauses WHERE resumed_ms IS NULL "
        "ORDER BY id");
    return collect<Pause>(
        stmt,
        [](sqlite3_stmt* row) {
          Pause p;
          p.id = sqlite3_column_int64(row, 0);
          p.account = column_text(row, 1);
          p.reason = column_text(row, 2);
          p.paused_by = column_text(row, 3);
          p.paused_ms = sqlite3_column_int64(row, 4);
          return p;
        },
        "reading pauses");
  }

  Result<std::pair<int64_t, int64_t>> due_counts(const std::string& account,
                                                 int64_t at_ms) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT count(*), coalesce(sum(s.step_kind = 'schedule'), 0)" + std::string(kPostTables) +
        "WHERE s.due_ms IS NOT NULL AND s.due_ms <= ?1 AND s.state <> 'in_flight' AND (?2 = '' OR "
        "p.account = ?2)");
    stmt.bind(1, at_ms).bind(2, account);
    int rc = sqlite3_step(stmt.get());
    std::pair<int64_t, int64_t> counts{0, 0};
    if (rc == SQLITE_ROW)
      counts = {sqlite3_column_int64(stmt.get(), 0), sqlite3_column_int64(stmt.get(), 1)};
    stmt.reset();
    if (rc != SQLITE_ROW) return error("counting due posts");
    return counts;
  }

  Result<int64_t> import_engagement(const std::string& account,
                                    const std::vector<EngagementRow>& rows) override {
    const std::lock_guard hold(mutex_);
    int64_t added = 0;
    Status status = in_transaction([&]() -> Status {
      Statement& put = statement(
          "INSERT INTO engagement (account, at_ms, impressions, engagements) VALUES (?1, ?2, ?3, "
          "?4) ON CONFLICT (account, at_ms) DO UPDATE SET impressions = excluded.impressions, "
          "engagements = excluded.engagements");
      Statement& exists = statement("SELECT 1 FROM engagement WHERE account = ?1 AND at_ms = ?2");
      for (const EngagementRow& row : rows) {
        exists.bind(1, account).bind(2, row.at_ms);
        int rc = sqlite3_step(exists.get());
        exists.reset();
        if (rc == SQLITE_DONE) ++added;
        put.bind(1, account).bind(2, row.at_ms).bind(3, row.impressions).bind(4, row.engagements);
        if (Status s = run(put, "importing engagement"); !s) return s;
      }
      return Status::ok();
    });
    if (!status) return status;
    return added;
  }

  Status add_mentions(std::vector<Mention>& mentions, std::vector<MentionReply>& replies) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Statement& put = statement(
          "INSERT INTO mentions (source_id, network, account, author, followers, engagement, "
          "text, at_ms, imported_ms, score, score_detail, action, rule, moderation, from_network) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT "
          "(network, source_id) DO NOTHING");
      for (Mention& m : mentions) {
        put.bind(1, m.source_id).bind(2, m.network).bind(3, m.account).bind(4, m.author);
        put.bind(5, m.followers).bind(6, m.engagement).bind(7, m.text).bind(8, m.at_ms);
        put.bind(9, m.imported_ms).bind(10, m.score).bind(11, m.score_detail);
        put.bind(12, m.action).bind(13, m.rule).bind(14, m.moderation);
        put.bind(15, int64_t{m.from_network ? 1 : 0});
        if (Status s = run(put, "recording a mention"); !s) return s;
        m.id = sqlite3_changes(db_) > 0 ? sqlite3_last_insert_rowid(db_) : 0;
      }
      // Each new mention's reply draft, linked to it, in the same transaction: a crash keeps
      // both or neither, so a reply is never lost and never made twice.
      for (MentionReply& reply : replies) {
        Mention& m = mentions.at(reply.mention);
        if (m.id == 0) continue;
        Result<ChainHead> head = audit_head();
        if (!head) return head.status();
        reply.post.last_audit_id = head->id + 1;
        if (Status s = insert_row(reply.post); !s) return s;
        AuditEntry entry = reply.audit;
        entry.post_id = reply.post.id;
        seal(entry, *head);
        if (Status s = write_audit(entry); !s) return s;
        Statement& link = statement("UPDATE mentions SET reply_post_id = ?2 WHERE id = ?1");
        link.bind(1, m.id).bind(2, reply.post.id);
        if (Status s = run(link, "linking a mention to its reply"); !s) return s;
        m.reply_post_id = reply.post.id;
      }
      return Status::ok();
    });
  }

  Result<bool> set_advocate(const std::string& person, const std::string& account, bool opted_in,
                            int64_t now_ms) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = opted_in
                          ? statement(
                                "INSERT INTO advocates (person, account, since_ms) VALUES (?1, ?2, "
                                "?3) ON CONFLICT (person, account) DO NOTHING")
                          : statement("DELETE FROM advocates WHERE person = ?1 AND account = ?2");
    stmt.bind(1, person).bind(2, account);
    if (opted_in) stmt.bind(3, now_ms);
    if (Status s = run(stmt, "recording an advocacy opt-in"); !s) return s;
    return sqlite3_changes(db_) > 0;
  }

  Result<std::map<std::string, std::vector<std::string>>> advocates() override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement("SELECT person, account FROM advocates ORDER BY person, account");
    Result<std::vector<std::pair<std::string, std::string>>> rows =
        collect<std::pair<std::string, std::string>>(
            stmt,
            [](sqlite3_stmt* row) { return std::pair(column_text(row, 0), column_text(row, 1)); },
            "reading advocacy opt-ins");
    if (!rows) return rows.status();
    std::map<std::string, std::vector<std::string>> out;
    for (auto& [person, account] : *rows) out[person].push_back(account);
    return out;
  }

  Result<std::vector<Mention>> mentions() override {
    const std::lock_guard hold(mutex_);
    return read_mentions(statement(std::string("SELECT ") + kMentionColumns +
                                   " FROM mentions ORDER BY score DESC, at_ms DESC, id"));
  }

  Result<std::vector<Mention>> pending_moderation() override {
    const std::lock_guard hold(mutex_);
    return read_mentions(statement(std::string("SELECT ") + kMentionColumns +
                                   " FROM mentions WHERE moderation IN ('pending', 'sending') "
                                   "ORDER BY id"));
  }

  Status set_moderation(int64_t mention_id, const std::string& state,
                        const std::string& note) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt =
        statement("UPDATE mentions SET moderation = ?2, moderation_note = ?3 WHERE id = ?1");
    stmt.bind(1, mention_id).bind(2, state).bind(3, note);
    return run(stmt, "recording what the network did with a moderation");
  }

  static constexpr const char* kMentionColumns =
      "id, source_id, network, account, author, followers, engagement, text, at_ms, imported_ms, "
      "score, score_detail, action, rule, reply_post_id, moderation, moderation_note, "
      "from_network";

  Result<std::vector<Mention>> read_mentions(Statement& stmt) {
    return collect<Mention>(
        stmt,
        [](sqlite3_stmt* row) {
          Mention m;
          int c = 0;
          m.id = sqlite3_column_int64(row, c++);
          m.source_id = column_text(row, c++);
          m.network = column_text(row, c++);
          m.account = column_text(row, c++);
          m.author = column_text(row, c++);
          m.followers = sqlite3_column_int64(row, c++);
          m.engagement = sqlite3_column_int64(row, c++);
          m.text = column_text(row, c++);
          m.at_ms = sqlite3_column_int64(row, c++);
          m.imported_ms = sqlite3_column_int64(row, c++);
          m.score = sqlite3_column_double(row, c++);
          m.score_detail = column_text(row, c++);
          m.action = column_text(row, c++);
          m.rule = column_text(row, c++);
          m.reply_post_id = sqlite3_column_int64(row, c++);
          m.moderation = column_text(row, c++);
          m.moderation_note = column_text(row, c++);
          m.from_network = sqlite3_column_int64(row, c++) != 0;
          return m;
        },
        "reading mentions");
  }

  Result<int64_t> moderated_count(const std::string& network, const std::string& author,
                                  int64_t since_ms, int64_t before_ms) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT count(*) FROM mentions WHERE network = ?1 AND author = ?2 AND at_ms >= ?3 AND "
        "at_ms < ?4 AND action IN ('ignore', 'mute', 'block', 'report')");
    stmt.bind(1, network).bind(2, author).bind(3, since_ms).bind(4, before_ms);
    Result<std::vector<int64_t>> count = collect<int64_t>(
        stmt, [](sqlite3_stmt* row) { return sqlite3_column_int64(row, 0); },
        "counting an author's moderated mentions");
    if (!count) return count.status();
    return count->empty() ? 0 : count->front();
  }

  Result<std::vector<EngagementRow>> engagement(const std::string& account) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT at_ms, impressions, engagements FROM engagement WHERE account = ?1 ORDER BY at_ms");
    stmt.bind(1, account);
    return collect<EngagementRow>(
        stmt,
        [](sqlite3_stmt* row) {
          return EngagementRow{sqlite3_column_int64(row, 0), sqlite3_column_int64(row, 1),
                               sqlite3_column_int64(row, 2)};
        },
        "reading engagement history");
  }

  Result<std::vector<Delegation>> delegations() override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement(
        "SELECT id, from_person, to_person, since_ms, until_ms, created_by, created_ms, "
        "revoked_ms, revoked_by, revoke_reason FROM delegations ORDER BY id");
    return collect<Delegation>(
        stmt,
        [](sqlite3_stmt* row) {
          return Delegation{sqlite3_column_int64(row, 0), column_text(row, 1),
                            column_text(row, 2),          sqlite3_column_int64(row, 3),
                            sqlite3_column_int64(row, 4), column_text(row, 5),
                            sqlite3_column_int64(row, 6), sqlite3_column_int64(row, 7),
                            column_text(row, 8),          column_text(row, 9)};
        },
        "reading delegations");
  }

  Result<std::optional<std::string>> meta(const std::string& key) override {
    const std::lock_guard hold(mutex_);
    Statement& stmt = statement("SELECT value FROM meta WHERE key = ?1");
    stmt.bind(1, key);
    std::optional<std::string> value;
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) value = column_text(stmt.get(), 0);
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("reading settings");
    return value;
  }

  Status set_meta(const std::string& key, const std::string& value) override {
    const std::lock_guard hold(mutex_);
    return in_transaction([&]() -> Status {
      Statement& stmt = statement(
          "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = "
          "excluded.value");
      stmt.bind(1, key).bind(2, value);
      int rc = sqlite3_step(stmt.get());
      stmt.reset();
      return rc == SQLITE_DONE ? Status::ok() : error("writing settings");
    });
  }

  std::string location() const override { return path_; }

 private:
  Status not_herald(const std::string& detail) {
    return Status(ErrorCode::store, path_ + ": cannot be read as a Herald database (" + detail +
                                        "). Is it the right file? A new path creates a new store.");
  }

  /// Steps `stmt` to its end, turning each row into a T with `read`, then resets it.
  template <typename T, typename Read>
  Result<std::vector<T>> collect(Statement& stmt, Read read, const char* doing) {
    std::vector<T> out;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) out.push_back(read(stmt.get()));
    stmt.reset();
    if (rc != SQLITE_DONE) return error(doing);
    return out;
  }

  Status error(const std::string& doing) {
    return Status(ErrorCode::store, path_ + ": " + doing + " failed: " + sqlite3_errmsg(db_) +
                                        " (SQLite code " +
                                        std::to_string(sqlite3_extended_errcode(db_)) + ")");
  }

  Status exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      return Status(ErrorCode::store, path_ + ": " + text);
    }
    return Status::ok();
  }

  Result<int64_t> pragma_int(const std::string& sql) { return scalar_int(sql); }

  Result<int64_t> scalar_int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      return Status(ErrorCode::store, message);
    }
    int rc = sqlite3_step(stmt);
    int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    std::string message = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return Status(ErrorCode::store, message);
    return value;
  }

  Statement& statement(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      std::string text(sql);
      it = statements_.emplace(text, std::make_unique<Statement>(db_, text)).first;
    }
    return *it->second;
  }

  template <typename Body>
  Status in_transaction(Body&& body) {
    if (Status s = run(statement("BEGIN IMMEDIATE"), "starting a transaction"); !s) return s;
    Status result = body();
    if (result) result = run(statement("COMMIT"), "committing");
    if (!result) (void)exec("ROLLBACK");
    return result;
  }
  /// Steps a statement that returns no rows.
  Status run(Statement& stmt, const char* what) {
    if (!stmt.valid()) return Status(ErrorCode::store, path_ + ": " + stmt.error());
    int rc = sqlite3_step(stmt.get());
    stmt.reset();
    return rc == SQLITE_DONE ? Status::ok() : error(what);
  }

  // Inserts a post: its content, then its state.
  Status insert_row(Post& post) {
    Statement& content = statement(
        "INSERT INTO posts (id, workflow, account, author, text, tags, created_ms, publish_at_ms, "
        "zone, idempotency_key, time_note) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!content.valid()) return Status(ErrorCode::store, path_ + ": " + content.error());
    std::string tags = join_lines(post.tags);
    content.bind(1, post.workflow).bind(2, post.account).bind(3, post.author).bind(4, post.text);
    content.bind(5, tags).bind(6, post.created_ms).bind(7, post.publish_at_ms).bind(8, post.zone);
    content.bind(9, post.idempotency_key).bind(10, post.time_note);
    int rc = sqlite3_step(content.get());
    content.reset();
    if (rc != SQLITE_DONE) return error("writing post");
    post.id = sqlite3_last_insert_rowid(db_);

    Statement& state = statement(
        "INSERT INTO post_states (post_id, step_index, step_kind, state, wake_ms, reason, expects, "
        "attempt, claim_seq, claimed_from, lease_owner, lease_expires_ms, remote_id, note, "
        "updated_ms, step_events, due_ms, last_audit_id, stage, step_entered_ms, planned_ms, "
        "plan_note, limited_since_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14, ?15, 0, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
    if (!state.valid()) return Status(ErrorCode::store, path_ + ": " + state.error());
    std::string expects = encode_expects(post.expects);
    state.bind(1, post.id).bind(2, int64_t{post.step_index}).bind(3, post.step_kind);
    state.bind(4, to_string(post.state)).bind(5, post.wake_ms).bind(6, post.reason);
    state.bind(7, expects).bind(8, int64_t{post.attempt}).bind(9, post.claim_seq);
    state.bind(10, to_string(post.claimed_from)).bind(11, post.lease_owner);
    state.bind(12, post.lease_expires_ms).bind(13, post.remote_id).bind(14, post.note);
    state.bind(15, post.updated_ms).bind_optional(16, due_ms_of(post));
    state.bind(17, post.last_audit_id).bind(18, post.stage).bind(19, post.step_entered_ms);
    state.bind(20, post.planned_ms).bind(21, post.plan_note).bind(22, post.limited_since_ms);
    rc = sqlite3_step(state.get());
    state.reset();
    if (rc != SQLITE_DONE) return error("writing post state");
    return post.planned_ms ? write_plan(post) : Status::ok();
  }

  // Updates what a transition may change, only while `expected_claim_seq` still matches (the
  // post's identity, author and key never change; its content (text, tags, and the account a
  // draft step may route it to) is written only when a step changed it).
  Status update_row(const Post& post, int64_t expected_claim_seq, bool text_changed) {
    if (text_changed) {
      Statement& text = statement(
          "UPDATE posts SET text = ?2, revision = ?3, tags = ?4, account = ?5 WHERE id = ?1");
      std::string tags = join_lines(post.tags);
      text.bind(1, post.id).bind(2, post.text).bind(3, int64_t{post.revision}).bind(4, tags);
      text.bind(5, post.account);
      int rc = sqlite3_step(text.get());
      text.reset();
      if (rc != SQLITE_DONE) return error("writing post text");
    }
    // A post that stays in flight keeps its lease, and so its due_ms: leaving the column out
    // of the statement spares SQLite the index update.
    static const std::string set_state =
        "UPDATE post_states SET step_index = ?3, step_kind = ?4, state = ?5, wake_ms = ?6, "
        "reason = ?7, expects = ?8, attempt = ?9, claim_seq = ?10, claimed_from = ?11, "
        "lease_owner = ?12, lease_expires_ms = ?13, remote_id = ?14, note = ?15, updated_ms = ?16, "
        "step_events = ?19, last_audit_id = ?20, stage = ?21, step_entered_ms = ?22, "
        "planned_ms = ?23, plan_note = ?24, limited_since_ms = ?25";
    static const std::string with_due =
        set_state + ", due_ms = ?18 WHERE post_id = ?1 AND claim_seq = ?17";
    static const std::string keep_due = set_state + " WHERE post_id = ?1 AND claim_seq = ?17";
    bool same_lease = post.state == PostState::in_flight;
    Statement& stmt = statement(same_lease ? keep_due : with_due);
    std::string expects = encode_expects(post.expects);
    stmt.bind(1, post.id).bind(3, int64_t{post.step_index});
    stmt.bind(4, post.step_kind).bind(5, to_string(post.state)).bind(6, post.wake_ms);
    stmt.bind(7, post.reason).bind(8, expects).bind(9, int64_t{post.attempt});
    stmt.bind(10, post.claim_seq).bind(11, to_string(post.claimed_from));
    stmt.bind(12, post.lease_owner).bind(13, post.lease_expires_ms).bind(14, post.remote_id);
    stmt.bind(15, post.note).bind(16, post.updated_ms).bind(17, expected_claim_seq);
    if (!same_lease) stmt.bind_optional(18, due_ms_of(post));
    stmt.bind(19, int64_t{post.step_events}).bind(20, post.last_audit_id);
    stmt.bind(21, post.stage).bind(22, post.step_entered_ms);
    stmt.bind(23, post.planned_ms).bind(24, post.plan_note).bind(25, post.limited_since_ms);
    int rc = sqlite3_step(stmt.get());
    stmt.reset();
    return rc == SQLITE_DONE ? Status::ok() : error("writing post");
  }

  /// Puts the post's planned instant in the plan index (or takes it out when there is none).
  Status write_plan(const Post& post) {
    if (post.planned_ms == 0) {
      Statement& drop = statement("DELETE FROM plan WHERE post_id = ?1");
      drop.bind(1, post.id);
      return run(drop, "writing the plan");
    }
    // An upsert, not INSERT OR REPLACE: a replace may delete rows, so SQLite would open a
    // statement journal for every call.
    Statement& put = statement(
        "INSERT INTO plan (post_id, account, at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (post_id) DO "
        "UPDATE SET account = excluded.account, at_ms = excluded.at_ms");
    put.bind(1, post.id).bind(2, post.account).bind(3, post.planned_ms);
    return run(put, "writing the plan");
  }

  Status write_event(const PostEvent& e) {
    Statement& stmt = statement(
        "INSERT INTO events (post_id, step_index, type, actor, comment, at_ms, on_behalf, "
        "content_hash, stage, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    stmt.bind(1, e.post_id).bind(2, int64_t{e.step_index}).bind(3, e.type).bind(4, e.actor);
    stmt.bind(5, e.comment).bind(6, e.at_ms).bind(7, e.on_behalf).bind(8, e.content_hash);
    stmt.bind(9, e.stage).bind(10, int64_t{e.revision});
    int rc = sqlite3_step(stmt.get());
    stmt.reset();
    return rc == SQLITE_DONE ? Status::ok() : error("writing event");
  }

  // The newest entry of the audit chain (id 0 and the genesis hash when there is none): see
  // ChainHead.
  Result<ChainHead> audit_head() {
    Statement& stmt = statement("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    ChainHead head;
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) {
      head.id = sqlite3_column_int64(stmt.get(), 0);
      // A hash of another size (changed by hand) chains on as zeros; verify reports the entry.
      const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(stmt.get(), 1));
      if (bytes && sqlite3_column_bytes(stmt.get(), 1) == static_cast<int>(head.hash.size()))
        std::copy(bytes, bytes + head.hash.size(), head.hash.begin());
    }
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("reading the audit chain");
    return head;
  }
  // Gives the entry the next id (unless it has one), links it to the head and hashes it.
  static void seal(AuditEntry& a, ChainHead& head) {
    if (a.id == 0) a.id = head.id + 1;
    a.hash = audit_entry_digest(head.hash, a.id, a.post_id, a.at_ms, a.actor, a.action, a.step,
                                a.from_state, a.to_state, a.detail);
    head.id = a.id;
    head.hash = a.hash;
  }
  // Migration 3: hashes the entries written before the trail was a chain, in id order.
  Status chain_existing_audit() {
    // Schema version 3 keeps both hashes as hex text.
    sqlite3_stmt* read = nullptr;
    const std::string sql = "SELECT " + std::string(kAuditEntryColumns) + " FROM audit ORDER BY id";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &read, nullptr) != SQLITE_OK)
      return error("reading the audit trail");
    std::vector<AuditRecord> entries;
    int rc;
    while ((rc = sqlite3_step(read)) == SQLITE_ROW) {
      read_audit_fields(read, entries.emplace_back());
    }
    sqlite3_finalize(read);
    if (rc != SQLITE_DONE) return error("reading the audit trail");
    sqlite3_stmt* update = nullptr;
    if (sqlite3_prepare_v2(db_, "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1", -1,
                           &update, nullptr) != SQLITE_OK)
      return error("chaining the audit trail");
    std::string prev_hash = audit_genesis_hash();
    rc = SQLITE_DONE;
    for (const AuditRecord& r : entries) {
      std::string hash = audit_entry_hash(prev_hash, r.id, r.post_id, r.at_ms, r.actor, r.action,
                                          r.step, r.from_state, r.to_state, r.detail);
      sqlite3_bind_int64(update, 1, r.id);
      sqlite3_bind_text(update, 2, prev_hash.data(), static_cast<int>(prev_hash.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_text(update, 3, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
      rc = sqlite3_step(update);
      sqlite3_reset(update);
      if (rc != SQLITE_DONE) break;
      prev_hash = std::move(hash);
    }
    sqlite3_finalize(update);
    if (rc != SQLITE_DONE) return error("chaining the audit trail");
    return Status::ok();
  }

  /// Seals an entry that belongs to no post's trail (a delegation, a pause) onto the chain and
  /// writes it; inside the caller's transaction.
  Status append_audit(AuditEntry entry) {
    Result<ChainHead> head = audit_head();
    if (!head) return head.status();
    seal(entry, *head);
    return write_audit(entry);
  }

  // Audit ids are handed out in the write transaction as one more than the largest so far, which
  // is the rowid SQLite gives a row inserted without one; letting SQLite pick it spares a
  // uniqueness lookup per row, and the check below proves the two agree.
  Status write_audit(const AuditEntry& a) {
    Statement& stmt = statement(
        "INSERT INTO audit (id, prev_id, post_id, at_ms, actor, action, step, from_state, "
        "to_state, detail, hash) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    bind_audit(stmt, 0, a);
    int rc = sqlite3_step(stmt.get());
    stmt.reset();
    if (rc != SQLITE_DONE) return error("writing audit entry");
    return check_audit_id(a.id);
  }
  static constexpr int kAuditFields = 10;
  static void bind_audit(Statement& stmt, int base, const AuditEntry& a) {
    stmt.bind_optional(base + 1, a.prev_id).bind(base + 2, a.post_id);
    stmt.bind(base + 3, a.at_ms).bind(base + 4, a.actor).bind(base + 5, a.action);
    stmt.bind(base + 6, a.step).bind(base + 7, a.from_state).bind(base + 8, a.to_state);
    stmt.bind(base + 9, a.detail).bind(base + 10, a.hash);
  }
  Status check_audit_id(int64_t expected) {
    if (sqlite3_last_insert_rowid(db_) == expected) return Status::ok();
    return Status(ErrorCode::internal, path_ + ": audit entry written as " +
                                           std::to_string(sqlite3_last_insert_rowid(db_)) +
                                           ", expected " + std::to_string(expected));
  }
  // Writes sealed entries in statements of kAuditRows rows
  // (fewer statements to run), the rest one by one.
  static constexpr int kAuditRows = 32;
  Status write_audits(const std::vector<AuditEntry*>& entries) {
    static const std::string multi = [] {
      // OR FAIL: a failing row stops the statement without undoing the rows before it, so
      // SQLite needs no statement journal; the caller rolls the whole transaction back.
      std::string sql =
          "INSERT OR FAIL INTO audit (id, prev_id, post_id, at_ms, actor, action, step, "
          "from_state, to_state, detail, hash) VALUES ";
      for (int r = 0; r < kAuditRows; ++r) {
        sql += r ? ", (NULL, " : "(NULL, ";
        for (int c = 1; c <= kAuditFields; ++c)
          sql += "?" + std::to_string(r * kAuditFields + c) + (c < kAuditFields ? ", " : ")");
      }
      return sql;
    }();
    size_t i = 0;
    for (; i + kAuditRows <= entries.size(); i += kAuditRows) {
      Statement& stmt = statement(multi);
      for (int r = 0; r < kAuditRows; ++r)
        bind_audit(stmt, r * kAuditFields, *entries[i + static_cast<size_t>(r)]);
      int rc = sqlite3_step(stmt.get());
      stmt.reset();
      if (rc != SQLITE_DONE) return error("writing audit entries");
      if (Status s = check_audit_id(entries[i + kAuditRows - 1]->id); !s) return s;
    }
    for (; i < entries.size(); ++i)
      if (Status s = write_audit(*entries[i]); !s) return s;
    return Status::ok();
  }

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<Checkpointer> checkpointer_;
  // Calls from several threads take turns; write_and_claim() keeps it until commit_open() or
  // rollback_open() (on the same thread), so that its transaction is seen whole or not at all.
  std::recursive_mutex mutex_;
  bool open_ = false;  // write_and_claim's transaction waits for commit_open() or rollback_open()
  // Looked up by the SQL text without copying it (string literals at most call sites). The
  // hash reads the length and the ends of the text only: some statements are kilobytes long,
  // and the equality check that follows reads all of it anyway.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const {
      constexpr size_t kEnd = 48;
      if (sql.size() <= 2 * kEnd) return std::hash<std::string_view>{}(sql);
      size_t head = std::hash<std::string_view>{}(sql.substr(0, kEnd));
      size_t tail = std::hash<std::string_view>{}(sql.substr(sql.size() - kEnd));
      return head ^ (tail * 31) ^ sql.size();
    }
  };
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    return Status(ErrorCode::store, path + ": its folder " + parent.string() +
                                        " does not exist; create it or change `store.path`");
  // Herald does not read SQLite's memory statistics; keeping them costs a global lock per
  // allocation. This only takes effect before SQLite's first use in the process, so an
  // application that embeds Herald and uses SQLite itself keeps its own setting.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  sqlite3* db = nullptr;
  // Group commits write their WAL frames with one call (see wal_vfs.hpp; the store keeps
  // synchronous=FULL, which that needs).
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           gathering_wal_vfs());
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(ErrorCode::store, path + ": cannot open the store: " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteStore>(db, path);
  if (Status s = store->initialize(); !s) return s;
  store->copy_log_in_background(gathering_wal_vfs());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace herald
