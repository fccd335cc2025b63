// What a step must remember across posts, restarts and processes (who was asked today, what was
// spent): a JSON-lines file with one record per key, read once and then appended to.
#pragma once

#include "common/jsonl_file.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace herald::builtin {

class JsonLedger {
 public:
  /// `on_record` sees every record once: those in the file on first use, then each one added,
  /// under the ledger's lock (the step keeps its totals there).
  JsonLedger(std::string path, std::string key_field,
             std::function<void(const nlohmann::json&)> on_record)
      : path_(std::move(path)),
        key_field_(key_field),
        on_record_(std::move(on_record)),
        files_(std::move(key_field)) {}

  /// The record with `key`, if there is one.
  std::optional<nlohmann::json> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    load();
    auto found = records_.find(key);
    return found == records_.end() ? std::nullopt : std::optional(found->second);
  }

  /// Appends `record` (which must carry `key` in its key field) unless the key is there.
  void add(const std::string& key, nlohmann::json record) {
    record[key_field_] = key;
    auto written = files_.append_once(
        path_, key, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true);
    std::lock_guard lock(mutex_);
    load();
    if (!written.already_there && records_.emplace(key, record).second) on_record_(record);
  }

  /// Runs `read` under the ledger's lock, after the file was read.
  template <typename Read>
  auto read(Read read) {
    std::lock_guard lock(mutex_);
    load();
    return read();
  }

 private:
  void load() {
    if (loaded_) return;
    loaded_ = true;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains(key_field_) || !j[key_field_].is_string()) continue;
      if (records_.emplace(j[key_field_].get<std::string>(), j).second) on_record_(j);
    }
  }

  std::string path_;
  std::string key_field_;
  std::function<void(const nlohmann::json&)> on_record_;
  std::mutex mutex_;
  bool loaded_ = false;
  std::map<std::string, nlohmann::json> records_;
  JsonlFiles files_;
};

}  // namespace herald::builtin
