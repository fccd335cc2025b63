#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace herald {

/// Copies a store's write-ahead log into its database file on a thread and a connection of its
/// own, so that commits do not wait for it. Without it, the commit that takes the log past
/// SQLite's automatic checkpoint copies every page and syncs the database file before it returns:
/// that commit is the slowest of hundreds.
///
/// `attach` installs SQLite's WAL hook on the store's connection (replacing the automatic
/// checkpoint). After each commit the hook looks at the log: with `kPages` not yet copied it
/// wakes the thread, which runs a PASSIVE checkpoint (it blocks neither readers nor writers).
/// The log starts again from its beginning only when a commit begins with all of it copied; with
/// commits back to back that never happens, so at `kPagesInline` the committing connection
/// copies the rest itself (little: the thread has copied the rest). The thread starts at the
/// first checkpoint, so a command that writes little never starts it.
class Checkpointer {
 public:
  static constexpr int kPages = 1000;         // about 4 MiB of log
  static constexpr int kPagesInline = 16000;  // about 64 MiB

  /// `path` and `vfs`: how to open the same database again.
  Checkpointer(std::string path, const char* vfs);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// Installs the hook on `db`, the store's connection; `db` must outlive this object.
  void attach(sqlite3* db);

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void wake();
  void loop();

  std::string path_;
  std::string vfs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> copied_{0};  // pages of the log the thread has copied
  bool due_ = false;
  bool stop_ = false;
  bool unable_ = false;  // the thread could not be started: commits copy the log themselves
  std::thread thread_;
};

}  // namespace herald
