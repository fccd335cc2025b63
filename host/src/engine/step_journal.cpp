#include "engine/step_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>

namespace herald {

void record_crash(int signal);

namespace {

constexpr char kMagic[8] = "HERALDJ";
constexpr uint32_t kVersion = 3;
// Every step that can run at once: engine.publish_concurrency (at most 256) publish steps, the
// engine's own thread, and room to spare.
constexpr int kSlots = 320;
constexpr size_t kNameSize = 96;
constexpr const char* kSuffix = ".journal";

enum SlotState : int32_t { kFree = 0, kWriting = 1, kRunning = 2 };

int32_t current_tid() {
  return static_cast<int32_t>(syscall(SYS_gettid));
}

int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <size_t N>
void copy_name(char (&to)[N], const std::string& from) {
  const size_t n = std::min(from.size(), N - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

template <size_t N>
void copy_name(std::atomic<char> (&to)[N], const std::string& from) {
  const size_t n = std::min(from.size(), N - 1);
  for (size_t i = 0; i < n; ++i) to[i].store(from[i], std::memory_order_relaxed);
  to[n].store('\0', std::memory_order_relaxed);
}

template <size_t N>
std::string read_name(const std::atomic<char> (&from)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    const char c = from[i].load(std::memory_order_relaxed);
    if (c == '\0') break;
    out += c;
  }
  return out;
}

template <size_t N>
std::string read_name(const char (&from)[N]) {
  return std::string(from, strnlen(from, N));
}

}  // namespace

struct StepJournal::Header {
  char magic[8];
  uint32_t version;
  uint32_t slots;
  int64_t pid;
  std::atomic<int32_t> signal;
  std::atomic<int32_t> signal_tid;
  char owner[192];
};

struct StepJournal::Slot {
  std::atomic<int32_t> state;
  int32_t tid;
  std::atomic<int32_t> overdue;
  int32_t step_index;
  // What the watchdog reads while the step may end (and the slot be taken by the next step)
  // is atomic: it may read a mix of two steps' names in that instant, never undefined data.
  std::atomic<int64_t> post_id;
  int64_t claim_seq;
  int64_t started_ms;
  std::atomic<int64_t> deadline_s;
  std::atomic<int64_t> deadline_mono_ns;
  std::atomic<char> step[kNameSize];
  std::atomic<char> plugin[kNameSize];
};

static_assert(std::atomic<char>::is_always_lock_free && std::atomic<int32_t>::is_always_lock_free &&
                  std::atomic<int64_t>::is_always_lock_free,
              "journal atomics must be lock-free: they are shared between processes");
constexpr size_t kFileSize = sizeof(StepJournal::Header) + kSlots * sizeof(StepJournal::Slot);

namespace {

// The journals open in this process, for the crash handler (which may not take locks).
constexpr int kMaxOpen = 16;
std::array<std::atomic<StepJournal*>, kMaxOpen> g_open{};
std::array<struct sigaction, 32> g_previous{};
constexpr std::array<int, 5> kCrashSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

extern "C" void on_crash(int signal) {
  herald::record_crash(signal);
  // Let the signal take the course it had: the handler before ours (a sanitizer's, say), or
  // the default one. A fault raised by an instruction happens again when this returns.
  sigaction(signal, &g_previous[static_cast<size_t>(signal)], nullptr);
  raise(signal);
}

}  // namespace

std::string signal_name(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(signal);
}

void record_crash(int signal) {
  const int32_t tid = current_tid();
  for (auto& open : g_open)
    if (StepJournal* journal = open.load(std::memory_order_acquire)) {
      journal->header_->signal_tid.store(tid);
      journal->header_->signal.store(signal);
    }
}

void StepJournal::install_crash_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int signal : kCrashSignals) {
      struct sigaction action {};
      action.sa_handler = on_crash;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_ONSTACK;
      sigaction(signal, &action, &g_previous[static_cast<size_t>(signal)]);
    }
  });
}

std::filesystem::path StepJournal::directory_for(const std::string& store_path) {
  return std::filesystem::path(store_path + ".workers");
}

std::unique_ptr<StepJournal> StepJournal::open(const std::filesystem::path& directory,
                                               const std::string& owner, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    error = "cannot create " + directory.string() + ": " + ec.message();
    return nullptr;
  }
  std::string name;
  for (char c : owner) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  const std::filesystem::path file = directory / (name + kSuffix);
  const std::filesystem::path partial = directory / (name + ".new");
  // Locked before it has its name, so that no one takes a journal being made for a dead one.
  int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
      ftruncate(fd, static_cast<off_t>(kFileSize)) != 0) {
    error = "cannot create " + partial.string() + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  void* memory = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    error = "cannot map " + partial.string() + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<StepJournal> journal(new StepJournal);
  journal->fd_ = fd;
  journal->file_ = file;
  journal->header_ = new (memory) Header{};
  std::memcpy(journal->header_->magic, kMagic, sizeof kMagic);
  journal->header_->version = kVersion;
  journal->header_->slots = kSlots;
  journal->header_->pid = getpid();
  copy_name(journal->header_->owner, owner);
  journal->slots_ = reinterpret_cast<Slot*>(static_cast<char*>(memory) + sizeof(Header));
  for (int i = 0; i < kSlots; ++i) new (&journal->slots_[i]) Slot{};
  std::filesystem::rename(partial, file, ec);
  if (ec) {
    error = "cannot create " + file.string() + ": " + ec.message();
    return nullptr;  // the destructor unmaps and closes
  }
  for (auto& open : g_open) {
    StepJournal* none = nullptr;
    if (open.compare_exchange_strong(none, journal.get())) break;
  }
  return journal;
}

std::unique_ptr<StepJournal> StepJournal::open_in_memory(const std::string& owner) {
  void* memory =
      mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  std::unique_ptr<StepJournal> journal(new StepJournal);
  journal->header_ = new (memory) Header{};
  std::memcpy(journal->header_->magic, kMagic, sizeof kMagic);
  journal->header_->version = kVersion;
  journal->header_->slots = kSlots;
  journal->header_->pid = getpid();
  copy_name(journal->header_->owner, owner);
  journal->slots_ = reinterpret_cast<Slot*>(static_cast<char*>(memory) + sizeof(Header));
  for (int i = 0; i < kSlots; ++i) new (&journal->slots_[i]) Slot{};
  return journal;  // not registered for the crash handler: nothing would read what it wrote
}

StepJournal::~StepJournal() {
  for (auto& open : g_open) {
    StepJournal* self = this;
    open.compare_exchange_strong(self, nullptr);
  }
  if (header_) {
    // A worker that ends normally leaves nothing behind.
    std::error_code ec;
    if (!file_.empty()) std::filesystem::remove(file_, ec);
    munmap(header_, kFileSize);
  }
  if (fd_ >= 0) ::close(fd_);
}

StepJournal::Running StepJournal::begin(int64_t post_id, int64_t claim_seq, int step_index,
                                        const std::string& step, const std::string& plugin,
                                        int64_t started_ms, int64_t deadline_s) {
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = slots_[i];
    int32_t free = kFree;
    if (!slot.state.compare_exchange_strong(free, kWriting, std::memory_order_acquire)) continue;
    slot.tid = current_tid();
    slot.overdue.store(0, std::memory_order_relaxed);
    slot.step_index = step_index;
    slot.post_id.store(post_id, std::memory_order_relaxed);
    slot.claim_seq = claim_seq;
    slot.started_ms = started_ms;
    slot.deadline_s.store(deadline_s, std::memory_order_relaxed);
    slot.deadline_mono_ns.store(monotonic_ns() + deadline_s * 1'000'000'000,
                                std::memory_order_relaxed);
    copy_name(slot.step, step);
    copy_name(slot.plugin, plugin);
    slot.state.store(kRunning, std::memory_order_release);
    return Running(this, i);
  }
  return {};  // more steps at once than slots: this one runs unrecorded
}

StepJournal::Running::~Running() {
  if (journal_ && slot_ >= 0) journal_->slots_[slot_].state.store(kFree, std::memory_order_release);
}

bool StepJournal::Running::overdue() const {
  return journal_ && slot_ >= 0 && journal_->slots_[slot_].overdue.load() != 0;
}

std::vector<StepJournal::Overdue> StepJournal::check_deadlines() {
  std::vector<Overdue> found;
  const int64_t now = monotonic_ns();
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = slots_[i];
    if (slot.state.load(std::memory_order_acquire) != kRunning) continue;
    if (now < slot.deadline_mono_ns.load(std::memory_order_relaxed) || slot.overdue.load() != 0)
      continue;
    slot.overdue.store(1);
    found.push_back({slot.post_id.load(std::memory_order_relaxed), read_name(slot.step),
                     read_name(slot.plugin), slot.deadline_s.load(std::memory_order_relaxed)});
  }
  return found;
}

int StepJournal::running() const {
  int n = 0;
  for (int i = 0; i < kSlots; ++i) n += slots_[i].state.load() == kRunning;
  return n;
}

std::vector<DeadWorker> StepJournal::dead_workers(const std::filesystem::path& directory,
                                                  const std::string& own_owner) {
  std::vector<DeadWorker> dead;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(directory, ec)) {
    if (item.path().extension() != kSuffix) continue;
    // Not blocking: a FIFO or a device named like a journal must not stop the worker here.
    int fd = ::open(item.path().c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) continue;
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {  // not a journal; left alone
      ::close(fd);
      continue;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {  // its worker is alive
      ::close(fd);
      continue;
    }
    DeadWorker worker;
    worker.file = item.path();
    std::vector<char> bytes(kFileSize);
    const bool whole = pread(fd, bytes.data(), kFileSize, 0) == static_cast<ssize_t>(kFileSize);
    ::close(fd);
    const auto* header = reinterpret_cast<const Header*>(bytes.data());
    if (!whole || std::memcmp(header->magic, kMagic, sizeof kMagic) != 0 ||
        header->version != kVersion || header->slots != kSlots) {
      dead.push_back(std::move(worker));  // not readable: only to be removed
      continue;
    }
    worker.owner = read_name(header->owner);
    if (worker.owner == own_owner) continue;
    worker.pid = header->pid;
    worker.signal = header->signal.load();
    const int32_t signal_tid = header->signal_tid.load();
    const auto* slots = reinterpret_cast<const Slot*>(bytes.data() + sizeof(Header));
    for (int i = 0; i < kSlots; ++i) {
      const Slot& slot = slots[i];
      if (slot.state.load() != kRunning) continue;
      JournalEntry entry;
      entry.post_id = slot.post_id.load();
      entry.claim_seq = slot.claim_seq;
      entry.step_index = slot.step_index;
      entry.step = read_name(slot.step);
      entry.plugin = read_name(slot.plugin);
      entry.started_ms = slot.started_ms;
      entry.deadline_s = slot.deadline_s.load();
      entry.overdue = slot.overdue.load() != 0;
      entry.signal = worker.signal != 0 && slot.tid == signal_tid ? worker.signal : 0;
      worker.running.push_back(std::move(entry));
    }
    dead.push_back(std::move(worker));
  }
  return dead;
}

void StepJournal::forget(const DeadWorker& worker) {
  std::error_code ec;
  std::filesystem::remove(worker.file, ec);
}

}  // namespace herald
