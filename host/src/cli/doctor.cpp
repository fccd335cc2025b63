// `herald doctor`: SQLite's own check of the store's file, read-only.
#include "cli/common.hpp"
#include "store/integrity.hpp"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

namespace herald {

void add_doctor_command(CLI::App& app, int& exit_code) {
  struct Settings {
    std::string config;
    bool full = false;
    bool json = false;
  };
  auto settings = std::make_shared<Settings>();
  auto* doctor = app.add_subcommand(
      "doctor",
      "Check the store's file page by page with SQLite's own check (nothing is changed).");
  doctor->add_option("CONFIG", settings->config, "workflow configuration (YAML)")->required();
  doctor->add_flag("--full", settings->full,
                   "also check every index against its table (SQLite's integrity_check; slower)");
  doctor->add_flag("--json", settings->json, "print JSON");
  doctor->footer(
      "Exit codes: 0 the store is sound, 5 it is damaged (restore it from a backup) or cannot be "
      "read.");
  doctor->callback([settings, &exit_code] {
    HostOptions options;
    options.open_store = false;
    auto host = open_or_report(settings->config, exit_code, options);
    if (!host) return;
    const std::string store = host->store_location();
    const auto started = std::chrono::steady_clock::now();
    auto checked = check_store_file(store, settings->full);
    if (failed(checked, exit_code)) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const bool sound = !checked->has_value();
    if (settings->json) {
      nlohmann::json out = {{"store", store},
                            {"check", settings->full ? "integrity_check" : "quick_check"},
                            {"sound", sound},
                            {"seconds", seconds}};
      if (!sound) out["problem"] = **checked;
      std::cout << out.dump() << "\n";
    } else if (sound) {
      std::cout << store << ": sound (" << (settings->full ? "integrity check" : "quick check")
                << ", " << std::fixed << std::setprecision(2) << seconds << " s)\n";
    } else {
      std::cout << store << ": damaged: " << **checked
                << "\nRestore the store from a backup; until then, no command can be trusted to "
                   "read it.\n";
    }
    if (!sound) exit_code = 5;
  });
}

}  // namespace herald
