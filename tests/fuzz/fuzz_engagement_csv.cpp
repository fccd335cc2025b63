// `herald engagement import`: a CSV file of timestamp,impressions,engagements read for an account
// (Host::import_engagement, host_schedule.cpp), then the best-time suggestions made from what it
// stored (Host::best_slots). A refused file must say where and why and import nothing; an
// accepted one must give sane suggestions. Each input gets a new store.
#include "fuzz_support.hpp"

#include <herald/host.hpp>

#include <cmath>

namespace {

// The first input byte picks the account: a zone, no zone (UTC), or several audiences.
constexpr const char* kAccounts[] = {"corp", "nozone", "global"};

std::filesystem::path config_file() {
  static const std::filesystem::path file = [] {
    std::filesystem::path path = herald::fuzz::work_dir() / "herald.yaml";
    herald::fuzz::write_file(path, std::string(R"(herald: 1
store: { path: engagement.db }
plugin_paths: [)") + HERALD_FUZZ_PLUGIN_DIR +
                                       R"(/herald_outbox.so, )" + HERALD_FUZZ_PLUGIN_DIR +
                                       R"(/herald_notify.so]
accounts:
  corp: { network: mastodon, timezone: America/New_York }
  nozone: { network: x }
  global:
    network: bluesky
    audiences:
      - { zone: America/New_York, share: 70 }
      - { zone: Asia/Kolkata, share: 30 }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
    return path;
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  herald::fuzz::quiet_setup();
  config_file();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using herald::fuzz::check;
  if (size < 1) return 0;
  const std::string account = kAccounts[data[0] % 3];
  const std::filesystem::path csv = herald::fuzz::work_dir() / "history.csv";
  herald::fuzz::write_file(csv,
                           std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  herald::fuzz::remove_database(herald::fuzz::work_dir() / "engagement.db");

  herald::HostOptions options;
  options.clock = herald::make_virtual_clock(1'780'000'000'000);
  auto host = herald::Host::open(config_file().string(), options);
  if (!host) herald::fuzz::fatal(host.status().message());  // a fixed configuration
  herald::Host& h = **host;

  auto imported = h.import_engagement(account, csv.string());
  auto slots = h.best_slots(account, 168);
  check(static_cast<bool>(slots));
  if (!imported) {
    // "history.csv:LINE: why; nothing was imported", or no rows at all.
    const std::string& message = imported.status().message();
    check(message.rfind(csv.string() + ":", 0) == 0);
    check(slots->empty());
    return 0;
  }
  check(imported->rows > 0 && imported->added + imported->replaced == imported->rows);
  check(imported->first_ms <= imported->last_ms);
  for (const herald::SlotSuggestion& s : *slots) {
    check(s.weekday >= 0 && s.weekday < 7 && s.minute >= 0 && s.minute < 24 * 60);
    check(!std::isnan(s.rate) && !std::isnan(s.lift) && !std::isnan(s.raw_rate));
  }
  return 0;
}
