// A herald-netsim process for a test: started on a free loopback port, stopped at the end.
#pragma once

#include "support/child.hpp"

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

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  std::string url_;
};

}  // namespace herald::testing
