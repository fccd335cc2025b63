#include "store/checkpointer.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace herald {

Checkpointer::Checkpointer(std::string path, const char* vfs)
    : path_(std::move(path)), vfs_(vfs ? vfs : "") {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::attach(sqlite3* db) {
  sqlite3_wal_hook(db, &Checkpointer::on_commit, this);
}

int Checkpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* me = static_cast<Checkpointer*>(self);
  int copied = me->copied_.load(std::memory_order_relaxed);
  if (pages < copied) {  // the log started again from its beginning
    copied = 0;
    me->copied_.store(0, std::memory_order_relaxed);
  }
  if (pages >= kPagesInline) {
    // The log starts again from its beginning only when a commit begins with all of it copied,
    // which commits that follow each other closely never see. Copy the rest here (most of it
    // is copied already), as SQLite's own hook would: the next commit starts the log again.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages - copied >= kPages) {
    me->wake();
  }
  return SQLITE_OK;
}

void Checkpointer::wake() {
  std::lock_guard lock(mutex_);
  if (stop_) return;
  due_ = true;
  if (thread_.joinable()) {
    wake_.notify_one();
    return;
  }
  if (unable_) return;
  // Called from SQLite's commit: nothing may be thrown through it.
  try {
    thread_ = std::thread([this] { loop(); });
  } catch (const std::exception& e) {
    unable_ = true;
    spdlog::warn("{}: cannot start the thread that copies the log ({}); commits copy it themselves",
                 path_, e.what());
  }
}

void Checkpointer::loop() {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           vfs_.empty() ? nullptr : vfs_.c_str());
  if (rc != SQLITE_OK) {
    spdlog::warn("{}: cannot open the store to copy its log ({}); commits copy it themselves",
                 path_, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close_v2(db);
    return;
  }
  // Its checkpoints sync the database before the log may start again, whatever SQLite's
  // compiled-in default.
  (void)sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  // A connection knows the database is in WAL mode once it has read it.
  (void)sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  bool warned = false;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return due_ || stop_; });
    if (stop_) break;
    due_ = false;
    lock.unlock();
    int log = 0;
    int copied = 0;
    rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc == SQLITE_OK && copied > 0) copied_.store(copied, std::memory_order_relaxed);
    // Busy: another connection checkpoints right now; the next commit asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED && !warned) {
      warned = true;
      spdlog::warn("{}: copying the log into the database failed ({}); commits copy it themselves",
                   path_, sqlite3_errmsg(db));
    }
    lock.lock();
  }
  lock.unlock();
  sqlite3_close_v2(db);
}

}  // namespace herald
