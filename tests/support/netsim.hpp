// A herald-netsim process for a test: started on a free loopback port, stopped at the end.
#pragma once

#include "support/child.hpp"

#include <herald/host.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::testing {

class Netsim {
 public:
  /// Starts `binary` with `args`; throws if it does not say where it listens.
  explicit Netsim(const std::string& binary, std::vector<std::string> args = {}) {
    std::vector<std::string> all = {binary, "--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    Child child = spawn(std::move(all));
    pid_ = child.pid;
    FILE* out = child.out;
    char line[256] = {0};
    if (!fgets(line, sizeof line, out)) throw std::runtime_error("herald-netsim did not start");
    fclose(out);
    std::string text = line;
    size_t colon = text.rfind(':');
    port_ = std::stoi(text.substr(colon + 1));
    url_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  ~Netsim() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Netsim(const Netsim&) = delete;
  Netsim& operator=(const Netsim&) = delete;

  const std::string& url() const { return url_; }

  nlohmann::json get(const std::string& path) const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get(path.c_str());
    if (!res) throw std::runtime_error("netsim GET " + path + " failed");
    return nlohmann::json::parse(res->body);
  }
  /// POSTs `body`; returns the answer (JSON).
  nlohmann::json post(const std::string& path, const nlohmann::json& body) const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Post(path.c_str(), body.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("netsim POST " + path + " failed");
    return nlohmann::json::parse(res->body, nullptr, false);
  }
  void clear_faults() const {
    httplib::Client client("127.0.0.1", port_);
    client.Delete("/_netsim/faults");
  }
  /// Accepted posts, optionally of one network.
  nlohmann::json posts(const std::string& network = "") const {
    return get("/_netsim/posts" + (network.empty() ? "" : "?network=" + network));
  }
  /// Sets rate-limit windows: {"x.user": {"limit": 5, "seconds": 10}, ...}.
  void set_windows(const nlohmann::json& windows) const {
    post("/_netsim/limits", {{"windows", windows}});
  }
  /// The counts of one rate-limit window, oldest first (GET /_netsim/windows).
  nlohmann::json windows(const std::string& window) const {
    return get("/_netsim/windows?window=" + window);
  }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  std::string url_;
};

/// A virtual clock that the simulator follows: every move of Herald's time moves the
/// simulator's (its rate-limit windows, token lifetimes and post times) to the same instant.
class SharedVirtualClock final : public Clock {
 public:
  SharedVirtualClock(const Netsim& netsim, int64_t start_ms)
      : netsim_(netsim), clock_(make_virtual_clock(start_ms)) {
    netsim_.post("/_netsim/clock", {{"now_ms", start_ms}});
  }
  int64_t now_ms() const override { return clock_->now_ms(); }
  void advance_to(int64_t at_ms) override {
    clock_->advance_to(at_ms);
    netsim_.post("/_netsim/clock", {{"now_ms", clock_->now_ms()}});
  }
  bool is_virtual() const override { return true; }

 private:
  const Netsim& netsim_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace herald::testing
