// What the fuzz targets share: a private temporary folder, quiet logs, and files written from
// the input.
#pragma once

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace herald::fuzz {

/// A folder of this process's own, made once and removed at exit.
inline const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    // In memory when there is a tmpfs: the store syncs every commit.
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::string pattern = (base / "herald-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(work_dir(), ec);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

/// Writes `bytes` to `path` (replacing it).
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

/// Removes an SQLite database and its journal files.
inline void remove_database(const std::filesystem::path& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path.string() + suffix, ec);
}

/// Logs off (the host warns on stderr about what a random input does), the built-in plugins
/// from this build, and times read in UTC.
inline void quiet_setup() {
  spdlog::set_level(spdlog::level::off);
#ifdef HERALD_FUZZ_PLUGIN_DIR
  setenv("HERALD_PLUGIN_DIR", HERALD_FUZZ_PLUGIN_DIR, 0);
#endif
  setenv("TZ", "UTC", 1);
}

/// Stops the run when the target's own setup fails (not a finding about the input).
[[noreturn]] inline void fatal(const std::string& why) {
  std::fprintf(stderr, "fuzz target setup failed: %s\n", why.c_str());
  std::abort();
}

/// A trap (a crash libFuzzer reports) when an expectation does not hold.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace herald::fuzz
