// Append-only JSON-lines files for the built-in outbox and notify plugins: each record is one
// line written with a single write(2) under an exclusive lock, and every record carries a key so
// that a record is never written twice (a re-run finds it and reuses it). A line is fsync'd
// before append_once returns, or later by sync() together with every other line appended
// since (the outbox syncs once per engine round). The first sync of a file also syncs its
// folder, so that a file just created is found after a crash.
// Records are written with herald::json_line (sdk/include/herald/json.hpp).
//
// The lock is held across appends that follow each other closely (a worker publishing a round
// of posts) and let go once the file has been idle for a moment, or held for a while: while it
// is held nobody else can have appended, so the file need not be checked again. Another
// process waits at most that long for its turn.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <herald/json.hpp>

namespace herald::builtin {

/// Key-indexed JSON-lines files. Records are found by the value of `key_field`.
class JsonlFiles {
 public:
  explicit JsonlFiles(const std::string& key_field)
      : key_field_(json_line(Json(key_field)) + ":\"") {}
  ~JsonlFiles() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      stopping_ = true;
    }
    idle_.notify_all();
    if (releaser_.joinable()) releaser_.join();
    for (auto& [path, index] : indexes_)
      if (index.fd >= 0) ::close(index.fd);  // lets go of a lock still held
  }

  /// How long a file may stay idle, or stay locked, before its lock is let go.
  static constexpr std::chrono::milliseconds kIdle{2};
  static constexpr std::chrono::milliseconds kMaxHold{20};
  JsonlFiles(const JsonlFiles&) = delete;
  JsonlFiles& operator=(const JsonlFiles&) = delete;

  struct Written {
    size_t line = 0;
    bool already_there = false;
  };

  /// Appends `record` (a JSON object without a trailing newline) unless a record with `key`
  /// is already in the file. With `sync`, the file holds it durably when this returns;
  /// without, only once sync() has returned (a record found, not written, too: it may be an
  /// earlier attempt's, not yet synced). Throws std::runtime_error with the reason on I/O
  /// errors.
  ///
  /// `may_be_there`: false when the caller knows no record with `key` can be in the file (the
  /// outbox, for a post that reaches its publish step for the first time). Then the file's keys
  /// are not read or kept: a process that never has to look keeps only a line count per file,
  /// however large the file grows. The first call that may find its key reads every key of the
  /// file once, and they are kept from then on.
  Written append_once(const std::string& path, const std::string& key, const std::string& record,
                      bool sync, bool may_be_there = true) {
    Index* found = nullptr;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      found = &indexes_[path];
    }
    Index& index = *found;
    // One file at a time per file: publish workers writing for different accounts do not wait
    // for each other.
    std::lock_guard<std::mutex> file_guard(index.mutex);
    if (index.fd < 0) {
      std::error_code ec;
      index.new_folder =
          std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      index.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (index.fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
      index.folder_synced = false;
    }
    int fd = index.fd;
    // Other processes may append to the same file: hold its lock from the check to the write,
    // and read what they appended whenever the lock is taken anew.
    const auto now = std::chrono::steady_clock::now();
    if (index.locked && now - index.locked_at > kMaxHold) unlock(index);  // others' turn
    if (!index.locked) {
      if (::flock(fd, LOCK_EX) != 0)
        throw std::runtime_error(path + ": cannot lock: " + std::strerror(errno));
      index.locked = true;
      index.locked_at = now;
      try {
        scan(fd, path, index);
      } catch (...) {
        unlock(index);
        throw;
      }
      start_releaser();
    }
    index.used_at = now;
    if (may_be_there && !index.keyed) {  // read the file again, keeping its keys this time
      index.keyed = true;
      index.scanned = 0;
      index.line_count = 0;
      index.partial.clear();
      try {
        scan(fd, path, index);
      } catch (...) {
        index.keyed = false;
        unlock(index);
        throw;
      }
    }
    if (auto it = index.lines.find(key); it != index.lines.end()) {
      index.unsynced = true;
      if (sync) sync_file(path, index);
      return {it->second, true};
    }

    std::string line;
    line.reserve(record.size() + 2);
    if (index.ends_mid_line) line += '\n';
    line += record;
    line += '\n';
    ssize_t written = ::write(fd, line.data(), line.size());
    if (written != static_cast<ssize_t>(line.size())) {
      std::string why = std::strerror(errno);
      unlock(index);  // what is in the file now is read again next time
      throw std::runtime_error(path + ": write failed: " + why);
    }
    index.unsynced = true;
    if (sync) {
      try {
        sync_file(path, index);
      } catch (...) {
        unlock(index);
        throw;
      }
    }
    // Under the lock nobody else wrote since the scan: index the line without reading it back.
    if (index.ends_mid_line) ++index.line_count;
    index.partial.clear();
    index.ends_mid_line = false;
    index.scanned += static_cast<off_t>(line.size());
    size_t number = ++index.line_count;
    if (index.keyed) index.lines.emplace(key, number);
    return {number, false};
  }

  /// Makes durable every record appended or found without `sync` since the last sync: one
  /// fsync per such file (and of its folder the first time). Throws std::runtime_error with
  /// the reason when one fails; what was not synced is tried again by the next call.
  void sync() {
    std::vector<std::pair<const std::string*, Index*>> files;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      for (auto& [path, index] : indexes_) files.emplace_back(&path, &index);
    }
    for (auto& [path, index] : files) {
      std::lock_guard<std::mutex> file_guard(index->mutex);
      if (index->unsynced) sync_file(*path, *index);
    }
  }

 private:
  struct Index {
    std::mutex mutex;
    int fd = -1;                 // kept open while the plugin lives
    bool unsynced = false;       // records appended or found since the last fsync
    bool folder_synced = false;  // the folder was synced since the file was opened
    bool new_folder = false;     // the folder was made when the file was opened
    bool locked = false;         // this process holds the file's lock
    std::chrono::steady_clock::time_point locked_at{};
    std::chrono::steady_clock::time_point used_at{};
    off_t scanned = 0;
    size_t line_count = 0;
    bool ends_mid_line = false;
    std::string partial;
    bool keyed = false;                             // `lines` holds every key of the file
    std::unordered_map<std::string, size_t> lines;  // key -> line number, when keyed
  };

  static void unlock(Index& index) {
    ::flock(index.fd, LOCK_UN);
    index.locked = false;
  }

  /// fsyncs the file, and the first time its folder (and the folder's own folder when the
  /// folder was made here). Called with the file's mutex held.
  static void sync_file(const std::string& path, Index& index) {
    if (::fsync(index.fd) != 0)
      throw std::runtime_error(path + ": fsync failed: " + std::strerror(errno));
    index.unsynced = false;
    if (index.folder_synced) return;
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    sync_folder(folder.empty() ? "." : folder);
    if (index.new_folder) sync_folder(folder.has_parent_path() ? folder.parent_path() : ".");
    index.folder_synced = true;
  }

  static void sync_folder(const std::filesystem::path& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      throw std::runtime_error(folder.string() + ": cannot open: " + std::strerror(errno));
    const int synced = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (synced != 0)
      throw std::runtime_error(folder.string() + ": fsync failed: " + std::strerror(error));
  }

  /// Called when a file's lock was taken: starts the thread that lets go of idle files' locks
  /// (once), and wakes it.
  void start_releaser() {
    std::lock_guard<std::mutex> guard(mutex_);
    any_locked_ = true;
    if (!releaser_.joinable() && !stopping_) releaser_ = std::thread([this] { release_idle(); });
    idle_.notify_all();
  }

  /// Looks at the locked files every kIdle, and sleeps until a lock is taken when none is.
  void release_idle() {
    std::unique_lock<std::mutex> guard(mutex_);
    while (!stopping_) {
      if (any_locked_)
        idle_.wait_for(guard, kIdle);
      else
        idle_.wait(guard);
      const auto now = std::chrono::steady_clock::now();
      bool still_locked = false;
      for (auto& [path, index] : indexes_) {
        // A file in use is left to its appender; it is looked at again next time.
        std::unique_lock<std::mutex> file_guard(index.mutex, std::try_to_lock);
        if (!file_guard) {
          still_locked = true;
        } else if (index.locked) {
          if (now - index.used_at >= kIdle)
            unlock(index);
          else
            still_locked = true;
        }
      }
      any_locked_ = still_locked;
    }
  }

  /// Reads what was appended since the last scan (by this or another process).
  void scan(int fd, const std::string& path, Index& index) {
    struct stat info {};
    if (::fstat(fd, &info) != 0)
      throw std::runtime_error(path + ": cannot stat: " + std::strerror(errno));
    if (info.st_size < index.scanned) {  // the file was truncated: read it again
      index.scanned = 0;
      index.line_count = 0;
      index.partial.clear();
      index.lines.clear();
    }
    char buffer[1 << 16];
    while (index.scanned < info.st_size) {
      ssize_t got = ::pread(fd, buffer, sizeof buffer, index.scanned);
      if (got <= 0) throw std::runtime_error(path + ": read failed: " + std::strerror(errno));
      index.scanned += got;
      for (ssize_t i = 0; i < got; ++i) {
        if (buffer[i] != '\n') {
          index.partial += buffer[i];
          continue;
        }
        ++index.line_count;
        if (index.keyed)
          if (auto key = key_of(index.partial))
            index.lines.emplace(std::move(*key), index.line_count);
        index.partial.clear();
      }
    }
    index.ends_mid_line = !index.partial.empty();
  }

  /// The value of the key field in a line written by json_line, or nothing. A key without
  /// escapes is read as it is; one with escapes is decoded by the JSON parser.
  std::optional<std::string> key_of(const std::string& line) const {
    size_t at = line.find(key_field_);
    if (at == std::string::npos) return std::nullopt;
    size_t start = at + key_field_.size();
    size_t end = start;
    bool escaped = false;
    for (; end < line.size() && line[end] != '"'; ++end) {
      if (line[end] == '\\') {
        escaped = true;
        if (++end == line.size()) return std::nullopt;
      }
    }
    if (end == line.size()) return std::nullopt;
    if (!escaped) return line.substr(start, end - start);
    Json value = Json::parse(line.begin() + static_cast<std::ptrdiff_t>(start - 1),
                             line.begin() + static_cast<std::ptrdiff_t>(end + 1), nullptr, false);
    if (!value.is_string()) return std::nullopt;
    return value.get<std::string>();
  }

  std::string key_field_;
  std::mutex mutex_;  // guards the map, stopping_, any_locked_, releaser_; each Index has its own
  std::unordered_map<std::string, Index> indexes_;  // nodes stay where they are
  std::condition_variable idle_;
  bool stopping_ = false;
  bool any_locked_ = false;  // a file's lock may be held: the releaser looks every kIdle
  std::thread releaser_;
};

}  // namespace herald::builtin
