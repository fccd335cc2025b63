// Publishing to herald-netsim across 100 Mastodon accounts: posts per second through the publish
// protocol (in_flight committed before each call, the remote id committed with done), with no
// added latency and with 20 ms per call; and the same posts to the local outbox, for the cost of
// the protocol without a network. Then publishing against each network's rate-limit windows,
// shortened to seconds: how much of each window Herald uses, and the 429s it meets.
#include "support/netsim.hpp"
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>

namespace {

/// The host logs through spdlog's default logger, which writes to standard output: send it to
/// standard error, so that `--benchmark_format=json` prints JSON alone.
const bool kLogsToStandardError = [] {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return true;
}();

std::string config_yaml(const std::string& url, bool to_network, int concurrency) {
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                     "]\nstore: { path: bench.db }\nengine: { publish_concurrency: " +
                     std::to_string(concurrency) + " }\naccounts:\n";
  for (int a = 0; a < 100; ++a)
    yaml += "  a" + std::to_string(a) + ": { network: mastodon, endpoint: \"" + url +
            "\", credentials: { token: \"${env:HERALD_BENCH_TOKEN}\" } }\n";
  yaml += "people:\n  ana: { roles: [writer] }\nworkflows:\n  w:\n    steps:\n";
  yaml += to_network ? "      - { kind: publish, plugin: mastodon }\n"
                     : "      - { kind: publish, plugin: outbox, config: { fsync: false } }\n";
  return yaml;
}

/// Arg 0: added latency per call in ms (-1: the outbox instead of the network); arg 1: posts;
/// arg 2: accounts published to at once (engine.publish_concurrency).
void BM_PublishAcrossAccounts(benchmark::State& state) {
  const int latency = static_cast<int>(state.range(0));
  const int posts = static_cast<int>(state.range(1));
  const int concurrency = static_cast<int>(state.range(2));
  setenv("HERALD_BENCH_TOKEN", "bench-token", 1);
  // Throughput alone: the iterations publish to the same accounts again and again, faster than
  // the networks allow (BM_PublishAgainstWindows measures that).
  herald::testing::Netsim netsim(NETSIM, {"--rate-limits", "off"});
  if (latency > 0) netsim.post("/_netsim/faults", {{"kind", "latency"}, {"latency_ms", latency}});
  int64_t published = 0;
  int64_t rounds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<herald::testing::TempDir>();
    std::string config =
        dir->write("bench.yaml", config_yaml(netsim.url(), latency >= 0, concurrency));
    herald::HostOptions options;
    options.clock = herald::make_virtual_clock(1'800'000'000'000);
    auto host = herald::Host::open(config, options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    for (int i = 0; i < posts; ++i)
      (void)(*host)->submit({"w",
                             "a" + std::to_string(i % 100),
                             "ana",
                             "Benchmark post " + std::to_string(i),
                             {},
                             ""});
    state.ResumeTiming();
    auto summary = (*host)->run({});
    if (!summary) {
      state.SkipWithError(summary.status().message().c_str());
      return;
    }
    published += summary->finished;
    rounds += summary->rounds;
  }
  state.counters["rounds"] = static_cast<double>(rounds) / static_cast<double>(state.iterations());
  state.counters["posts/s"] =
      benchmark::Counter(static_cast<double>(published), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PublishAcrossAccounts)
    ->Args({-1, 1000, 1})
    ->Args({-1, 1000, 8})
    ->Args({0, 1000, 1})
    ->Args({0, 1000, 8})
    ->Args({20, 200, 1})
    ->Args({20, 1000, 8})
    ->Args({20, 1000, 32})
    ->ArgNames({"latency_ms", "posts", "concurrency"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// Each network's first window for posting, and what a post costs in it.
struct Binding {
  const char* network;
  const char* window;
  int64_t cost;
};
constexpr Binding kBindings[] = {{"mastodon", "mastodon.statuses", 1},
                                 {"x", "x.user", 1},
                                 {"bluesky", "bluesky.hour", 3},
                                 {"linkedin", "linkedin.member", 1}};
constexpr double kWindowSeconds = 2.0;

/// Arg 0: the network (0 Mastodon, 1 X, 2 Bluesky, 3 LinkedIn); arg 1: accounts; arg 2:
/// windows' worth of posts per account. Every window of the network keeps its limit and is
/// shortened by the same factor, the one that makes its first window for posting last
/// kWindowSeconds (X: 15 minutes to 2 s, and the app's day to 192 s; Mastodon: 3 hours to 2 s,
/// the API's 5 minutes to 56 ms; Bluesky: an hour to 2 s, a day to 48 s), and both sides run on
/// the real clock. LinkedIn's days stay days (without headers, Herald waits for 00:00 UTC after
/// a 429): both sides share a virtual clock, and the time is Herald's and the simulator's work.
void BM_PublishAgainstWindows(benchmark::State& state) {
  const Binding& binding = kBindings[state.range(0)];
  const int accounts = static_cast<int>(state.range(1));
  const int64_t windows = state.range(2);
  int64_t published = 0, rate_limited = 0, after_first = 0, counted = 0;
  double used = 0, allowed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    herald::testing::Netsim netsim(NETSIM);
    const bool days = std::string(binding.network) == "linkedin";
    const nlohmann::json limits = netsim.get("/_netsim/limits")["windows"];
    const double factor =
        days ? 1.0 : limits[binding.window]["seconds"].get<double>() / kWindowSeconds;
    nlohmann::json shortened = nlohmann::json::object();
    for (const auto& [name, window] : limits.items())
      if (window["network"] == binding.network)
        shortened[name] = {{"seconds", window["seconds"].get<double>() / factor}};
    netsim.set_windows(shortened);
    const int64_t per_window = limits[binding.window]["limit"].get<int64_t>() / binding.cost;
    const int64_t posts = accounts * windows * per_window;
    auto dir = std::make_unique<herald::testing::TempDir>();
    std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                       "]\nstore: { path: bench.db }\naccounts:\n";
    for (int a = 0; a < accounts; ++a) {
      const std::string n = std::to_string(a);
      setenv(("HERALD_BENCH_TOKEN_" + n).c_str(), ("bench-token-" + n).c_str(), 1);
      yaml += "  a" + n + ": { network: " + binding.network + ", endpoint: \"" + netsim.url() +
              "\", handle: \"" + (days ? "urn:li:organization:" + n : "a" + n + ".test") +
              "\", credentials: { " +
              (std::string(binding.network) == "bluesky" ? "app_password" : "token") +
              ": \"${env:HERALD_BENCH_TOKEN_" + n + "}\" } }\n";
    }
    yaml += "people:\n  ana: { roles: [writer] }\nworkflows:\n  w:\n    steps:\n";
    yaml += std::string("      - { kind: publish, plugin: ") + binding.network + " }\n";
    herald::HostOptions options;
    options.clock =
        days ? std::shared_ptr<herald::Clock>(std::make_shared<herald::testing::SharedVirtualClock>(
                   netsim, herald::make_real_clock()->now_ms()))
             : herald::make_real_clock();
    options.resolve_secrets = true;
    auto host = herald::Host::open(dir->write("bench.yaml", yaml), options);
    if (!host) {
      state.SkipWithError(host.status().message().c_str());
      return;
    }
    for (int64_t i = 0; i < posts; ++i)
      (void)(*host)->submit({"w",
                             "a" + std::to_string(i % accounts),
                             "ana",
                             "Windowed post " + std::to_string(i),
                             {},
                             ""});
    const int64_t began_ms = netsim.get("/_netsim/clock")["now_ms"].get<int64_t>();
    state.ResumeTiming();
    // The run goes on, sleeping until each reset, until the simulator holds every post (on the
    // virtual clock, until nothing is left to wake).
    std::atomic<bool> stop{false};
    std::thread watcher([&] {
      while (!days && !stop && netsim.get("/_netsim/stats")["accepted"].get<int64_t>() < posts)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      stop = true;
    });
    herald::RunOptions run;
    run.until_idle = days;
    run.stop = days ? nullptr : &stop;
    auto summary = (*host)->run(run);
    stop = true;
    watcher.join();
    state.PauseTiming();
    if (!summary) {
      state.SkipWithError(summary.status().message().c_str());
      return;
    }
    const nlohmann::json stats = netsim.get("/_netsim/stats");
    published += stats["accepted"].get<int64_t>();
    rate_limited += stats["rate_limited"].get<int64_t>();
    after_first += stats["requests_before_reset"].get<int64_t>();
    // Saturation over the windows the run had whole: begun after it started (Mastodon's and
    // LinkedIn's first window began before), and not an account's last (it holds what was left).
    std::map<std::string, std::vector<nlohmann::json>> by_account;
    for (const nlohmann::json& w : netsim.windows(binding.window))
      by_account[w["account"].get<std::string>()].push_back(w);
    for (const auto& [account, counts] : by_account)
      for (size_t i = 0; i + 1 < counts.size(); ++i) {
        ++counted;
        if (counts[i]["start_ms"].get<int64_t>() < began_ms) continue;
        used += static_cast<double>(counts[i]["used"].get<int64_t>());
        allowed += static_cast<double>(per_window * binding.cost);
      }
    counted += static_cast<int64_t>(by_account.size());
    state.ResumeTiming();
  }
  const double runs = static_cast<double>(state.iterations());
  state.counters["posts/s"] =
      benchmark::Counter(static_cast<double>(published), benchmark::Counter::kIsRate);
  state.counters["windows"] = static_cast<double>(counted) / runs;
  // Published per window over allowed per window.
  state.counters["saturation"] = allowed > 0 ? used / allowed : 0;
  state.counters["429s"] = static_cast<double>(rate_limited) / runs;
  state.counters["429s_after_first"] = static_cast<double>(after_first) / runs;
}
BENCHMARK(BM_PublishAgainstWindows)
    ->Args({0, 4, 3})
    ->Args({1, 4, 3})
    ->Args({2, 1, 3})
    ->Args({3, 4, 3})
    ->ArgNames({"network", "accounts", "windows"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
