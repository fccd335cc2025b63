// The due queue at scale: 1,000,000 scheduled posts across 1,000 accounts. Measures the time to
// claim a batch of due posts (median and p99 per claim), the host's resident memory while it
// works through due posts, and the size of the database. scripts/bench-schedule.sh runs it; the
// results are in docs/performance.md.
//
// HERALD_BENCH_DIR (default /tmp/herald-bench) keeps the generated databases between runs.
#include "store/store.hpp"

#include <herald/host.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

/// The host logs through spdlog's default logger, which writes to standard output: send it to
/// standard error, so that `--benchmark_format=json` prints JSON alone.
const bool kLogsToStandardError = [] {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return true;
}();

namespace fs = std::filesystem;
using herald::Post;
using herald::PostState;

constexpr int kAccounts = 1000;
constexpr int64_t kStart = 1'800'000'000'000;  // 2027-01-15
constexpr int64_t kYear = 365LL * 86'400'000;

std::string bench_dir() {
  const char* dir = std::getenv("HERALD_BENCH_DIR");
  std::string path = dir && *dir ? dir : "/tmp/herald-bench";
  fs::create_directories(path);
  return path;
}

/// A database of `posts` posts waiting at their schedule step, spread evenly over a year and
/// over kAccounts accounts, each with its plan entry and its audit entry. Made once and kept.
std::string prepared_store(int64_t posts) {
  const std::string path = bench_dir() + "/schedule-" + std::to_string(posts) + ".db";
  if (fs::exists(path + ".complete")) return path;
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  auto store = herald::open_sqlite_store(path);
  if (!store) throw std::runtime_error(store.status().message());
  const int64_t spacing = kYear / posts;
  constexpr int64_t kChunk = 50'000;
  for (int64_t first = 0; first < posts; first += kChunk) {
    std::vector<Post> chunk;
    std::vector<herald::AuditEntry> audits;
    for (int64_t i = first; i < std::min(posts, first + kChunk); ++i) {
      Post p;
      p.workflow = "scheduled";
      p.account = "account-" + std::to_string(i % kAccounts);
      p.author = "ana";
      p.text = "Scheduled post number " + std::to_string(i);
      p.created_ms = kStart;
      p.publish_at_ms = kStart + i * spacing;
      p.zone = "UTC";
      p.step_index = 0;
      p.step_kind = "schedule";
      p.state = PostState::waiting;
      p.wake_ms = p.publish_at_ms;
      p.planned_ms = p.publish_at_ms;
      p.plan_note = "the requested time";
      p.idempotency_key = "bench-" + std::to_string(i);
      p.updated_ms = kStart;
      chunk.push_back(std::move(p));
      audits.push_back({0, kStart, "ana", "submit", "", "", "waiting", "bench"});
    }
    if (herald::Status s = (*store)->insert_posts(chunk, audits); !s)
      throw std::runtime_error(s.message());
  }
  store->reset();
  std::ofstream(path + ".complete") << posts << "\n";
  return path;
}

/// A scratch copy, so that claiming does not use up the prepared database.
std::string scratch_copy(const std::string& path) {
  std::string copy = bench_dir() + "/scratch.db";
  fs::remove(copy + "-wal");
  fs::remove(copy + "-shm");
  fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
  return copy;
}

/// A scratch copy of the prepared store of `posts` posts, or "" after skipping the benchmark
/// with the reason.
std::string scratch_store(benchmark::State& state, int64_t posts) {
  try {
    return scratch_copy(prepared_store(posts));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return "";
  }
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

int64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

/// One engine round's store work, as the engine does it: commit what the previous batch
/// decided (published: done) and claim the next batch of due posts, in one transaction.
/// Arg 0: posts in the database; arg 1: batch size; arg 2: 1 to commit the previous batch
/// (an engine round), 0 to claim only.
void BM_ClaimDueBatch(benchmark::State& state) {
  const int64_t posts = state.range(0);
  const int batch = static_cast<int>(state.range(1));
  const bool commit = state.range(2) != 0;
  const std::string db = scratch_store(state, posts);
  if (db.empty()) return;
  auto store = herald::open_sqlite_store(db);
  if (!store) {
    state.SkipWithError(store.status().message().c_str());
    return;
  }
  herald::Lease lease{"bench", 0};
  // Every post is due (a worker catching up after an outage, the worst case for the index):
  // each claim takes a full batch from the head of the due index.
  const int64_t now = kStart + kYear;
  std::vector<herald::Transition> pending;
  std::vector<double> ms, work_ms, commit_ms;
  int64_t claimed_total = 0;
  for (auto _ : state) {
    lease.expires_ms = now + 300'000;
    int64_t lost = 0;
    // commit_and_claim in its two halves: the statements, then the commit (the WAL's fsync).
    auto begin = std::chrono::steady_clock::now();
    auto claimed = (*store)->write_and_claim(pending, now, batch, lease, &lost);
    auto written = std::chrono::steady_clock::now();
    herald::Status committed = claimed ? (*store)->commit_open() : claimed.status();
    auto end = std::chrono::steady_clock::now();
    if (!committed) {
      state.SkipWithError(committed.message().c_str());
      return;
    }
    double elapsed = std::chrono::duration<double>(end - begin).count();
    state.SetIterationTime(elapsed);
    ms.push_back(elapsed * 1000);
    work_ms.push_back(std::chrono::duration<double, std::milli>(written - begin).count());
    commit_ms.push_back(std::chrono::duration<double, std::milli>(end - written).count());
    claimed_total += static_cast<int64_t>(claimed->size());
    pending.clear();
    if (commit)
      for (Post& p : *claimed) {
        herald::Transition t;
        t.expected_claim_seq = p.claim_seq;
        t.post = std::move(p);
        t.post.state = PostState::done;
        t.post.step_index = 1;
        t.post.step_kind = "publish";
        t.post.lease_owner.clear();
        t.post.lease_expires_ms = 0;
        t.post.wake_ms = 0;
        t.post.updated_ms = now;
        t.audit.push_back({0, now, "engine", "advance", "publish", "in_flight", "done", ""});
        pending.push_back(std::move(t));
      }
  }
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["max_ms"] = percentile(ms, 1.0);
  state.counters["work_p50_ms"] = percentile(work_ms, 0.50);
  state.counters["work_p99_ms"] = percentile(work_ms, 0.99);
  state.counters["commit_p50_ms"] = percentile(commit_ms, 0.50);
  state.counters["commit_p99_ms"] = percentile(commit_ms, 0.99);
  state.counters["claimed_per_call"] =
      static_cast<double>(claimed_total) / static_cast<double>(std::max<size_t>(ms.size(), 1));
  state.counters["db_mb"] = static_cast<double>(file_size(db)) / 1e6;
}
BENCHMARK(BM_ClaimDueBatch)
    ->ArgsProduct({{1'000'000}, {100, 1024}, {0, 1}})
    ->ArgNames({"posts", "batch", "commit"})
    ->Iterations(500)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

/// The disk under the store: appending 4 KiB to a file and syncing it (fdatasync), as a WAL
/// commit does, 500 times. Its p50/p90/p99 are the floor of any durable commit on this machine.
void BM_Fsync(benchmark::State& state) {
  const std::string path = bench_dir() + "/fsync-probe";
  fs::create_directories(bench_dir());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    state.SkipWithError(("cannot open " + path).c_str());
    return;
  }
  const std::string page(4096, 'x');
  std::vector<double> ms;
  for (auto _ : state) {
    auto begin = std::chrono::steady_clock::now();
    bool ok = ::write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size()) &&
              ::fdatasync(fd) == 0;
    auto end = std::chrono::steady_clock::now();
    if (!ok) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
    ms.push_back(std::chrono::duration<double, std::milli>(end - begin).count());
  }
  ::close(fd);
  fs::remove(path);
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p90_ms"] = percentile(ms, 0.90);
  state.counters["p99_ms"] = percentile(ms, 0.99);
}
BENCHMARK(BM_Fsync)->Iterations(500)->UseManualTime()->Unit(benchmark::kMillisecond);

int64_t status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field));
  return 0;
}

/// A configuration over the store `db`: kAccounts Mastodon accounts, a writer, and the workflow
/// the prepared posts are in (schedule, then publish to an outbox under bench_dir()).
std::string write_config(const std::string& name, const std::string& db, bool outbox_fsync) {
  const std::string config = bench_dir() + "/" + name;
  std::ofstream out(config);
  out << "herald: 1\nstore: { path: " << db << " }\nplugin_paths: [" << BUILTIN_PLUGIN_DIR
      << "]\naccounts:\n";
  for (int a = 0; a < kAccounts; ++a) out << "  account-" << a << ": { network: mastodon }\n";
  out << "people:\n  ana: { roles: [writer] }\nworkflows:\n  scheduled:\n    steps:\n"
      << "      - { kind: schedule, plugin: schedule/at }\n"
      << "      - { kind: publish, plugin: outbox, config: { directory: " << bench_dir()
      << "/outbox" << (outbox_fsync ? "" : ", fsync: false") << " } }\n";
  return config;
}

/// The host working through due posts (schedule step, then publish to the outbox) for 20
/// rounds of 1,024 with every post due, the same work whatever the size of the database:
/// resident memory of the whole process. Run once per process
/// (scripts/bench-schedule.sh) so that peaks do not mix.
void BM_HostMemory(benchmark::State& state) {
  const int64_t posts = state.range(0);
  const std::string db = scratch_store(state, posts);
  if (db.empty()) return;
  // The run works on a copy of the kept store (scratch_store) and an empty outbox, so that
  // every run publishes as many posts as the first.
  fs::remove_all(bench_dir() + "/outbox");
  const std::string config = write_config("schedule-bench.yaml", db, /*outbox_fsync=*/false);
  int64_t published = 0;
  for (auto _ : state) {
    herald::HostOptions options;
    options.clock = herald::make_virtual_clock(kStart + kYear);
    auto host = herald::Host::open(config, options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    herald::RunOptions run;
    run.max_rounds = 20;
    auto summary = (*host)->run(run);
    if (!summary) {
      state.SkipWithError(summary.status().message().c_str());
      return;
    }
    published += summary->finished;
  }
  state.counters["rss_mb"] = static_cast<double>(status_kb("VmRSS:")) / 1024;
  state.counters["peak_rss_mb"] = static_cast<double>(status_kb("VmHWM:")) / 1024;
  state.counters["published"] = static_cast<double>(published);
  state.counters["db_mb"] = static_cast<double>(file_size(db)) / 1e6;
}
/// One `herald submit` as a user runs it, a new process each time, against a store of `posts`
/// posts: opening a store must cost the same at any size.
void BM_SubmitCommand(benchmark::State& state) {
  const int64_t posts = state.range(0);
  const std::string db = scratch_store(state, posts);
  if (db.empty()) return;
  const std::string config = write_config("submit-bench.yaml", db, /*outbox_fsync=*/true);
  const std::string command = std::string(HERALD_CLI) + " submit " + config +
                              " -w scheduled -a account-1 --author ana --text 'One more post'"
                              " > /dev/null";
  std::vector<double> ms;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("herald submit failed");
      return;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  state.counters["p50_ms"] = percentile(ms, 0.5);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["db_mb"] = static_cast<double>(file_size(db)) / 1e6;
}
BENCHMARK(BM_SubmitCommand)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->ArgName("posts")
    ->Iterations(30)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_HostMemory)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->ArgName("posts")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
