// Which steps a worker is running, kept where a crash cannot erase it.
//
// Each worker maps a small file (one per worker, in the folder next to the store) and, before a
// step's plugin is called, writes into it the post, the step, the plugin and the step's deadline;
// it clears the entry when the call returns. The writes are plain stores into shared memory, so
// they cost nanoseconds, and the kernel keeps them when the process dies however it dies. A
// crash handler adds the signal and the thread it hit. The worker holds an exclusive lock on its
// file while it lives: a file whose lock can be taken belongs to a worker that is gone, and what
// its entries say is what that worker was doing when it died (see docs/reliability.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace herald {

/// A step that was running, as a journal recorded it.
struct JournalEntry {
  int64_t post_id = 0;
  int64_t claim_seq = 0;
  int step_index = 0;
  std::string step;
  std::string plugin;
  int64_t started_ms = 0;  // wall clock
  int64_t deadline_s = 0;  // the step's timeout
  bool overdue = false;    // ran past its deadline
  int signal = 0;          // the signal that killed the worker in this step's thread, or 0
};

/// What a worker that is gone left: its lease owner and the steps it was running.
struct DeadWorker {
  std::filesystem::path file;
  std::string owner;
  int64_t pid = 0;
  int signal = 0;  // the crash signal the worker caught, in any thread, or 0
  std::vector<JournalEntry> running;
};

/// "SIGSEGV", "SIGABRT", ... ("signal N" for one without a name).
std::string signal_name(int signal);

class StepJournal {
 public:
  /// Creates (and locks) the journal of worker `owner` in `directory`.
  static std::unique_ptr<StepJournal> open(const std::filesystem::path& directory,
                                           const std::string& owner, std::string& error);
  /// A journal kept in this process's memory only (when the store is not in a file, or its
  /// folder cannot hold one): it keeps step deadlines and what runs, but no crash outlives it.
  static std::unique_ptr<StepJournal> open_in_memory(const std::string& owner);
  bool in_memory() const { return fd_ < 0; }
  ~StepJournal();
  StepJournal(const StepJournal&) = delete;
  StepJournal& operator=(const StepJournal&) = delete;

  /// Marks a step as running on this thread until the returned guard is destroyed.
  class Running {
   public:
    Running() = default;
    Running(Running&& other) noexcept : journal_(other.journal_), slot_(other.slot_) {
      other.journal_ = nullptr;
    }
    Running& operator=(Running&&) = delete;
    ~Running();
    /// Whether the watchdog found the step past its deadline.
    bool overdue() const;

   private:
    friend class StepJournal;
    Running(StepJournal* journal, int slot) : journal_(journal), slot_(slot) {}
    StepJournal* journal_ = nullptr;
    int slot_ = -1;
  };
  Running begin(int64_t post_id, int64_t claim_seq, int step_index, const std::string& step,
                const std::string& plugin, int64_t started_ms, int64_t deadline_s);

  /// A step running past its deadline, newly found by check_deadlines().
  struct Overdue {
    int64_t post_id = 0;
    std::string step;
    std::string plugin;
    int64_t deadline_s = 0;
  };
  /// Marks the running steps past their deadline (monotonic clock) and returns those newly past.
  std::vector<Overdue> check_deadlines();
  /// How many steps are running.
  int running() const;

  /// The journals in `directory` of workers that are gone (their lock is free), each locked by
  /// this process until forget() removes it.
  static std::vector<DeadWorker> dead_workers(const std::filesystem::path& directory,
                                              const std::string& own_owner);
  /// Removes a dead worker's journal once what it says has been applied.
  static void forget(const DeadWorker& worker);

  /// The folder of the journals of the workers of the store at `store_path`.
  static std::filesystem::path directory_for(const std::string& store_path);

  /// Installs the handler that records a crash signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT)
  /// in every open journal before the signal takes its course (the handler in place before is
  /// restored and the signal raised again). Idempotent.
  static void install_crash_handler();

  struct Header;  // the file's layout (step_journal.cpp)
  struct Slot;

 private:
  StepJournal() = default;
  friend void record_crash(int signal);
  Header* header_ = nullptr;
  Slot* slots_ = nullptr;
  int fd_ = -1;
  std::filesystem::path file_;
};

}  // namespace herald
