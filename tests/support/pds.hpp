// The reference Bluesky PDS (tests/pds/server.js, installed by scripts/setup-pds.sh) for a
// test: started with Node on free loopback ports, with its data in a folder of the test's, and
// stopped at the end.
#pragma once

#include "support/child.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::testing {

/// An HTTP answer, as a test reads it.
struct Answer {
  int status = 0;
  nlohmann::json body;
};

class Pds {
 public:
  /// `install_dir` holds server.js and node_modules; `data_dir` is the PDS's own folder.
  Pds(const std::string& install_dir, const std::string& data_dir) {
    const std::string script = install_dir + "/server.js";
    if (!std::filesystem::exists(install_dir + "/node_modules/@atproto/pds"))
      throw std::runtime_error("the reference PDS is not installed in " + install_dir +
                               "; run scripts/setup-pds.sh");
    Child child = spawn({"node", script, "0", "0", data_dir}, {{"LOG_ENABLED", "false"}});
    pid_ = child.pid;
    FILE* out = child.out;
    std::string ready;
    char line[1024];
    while (fgets(line, sizeof line, out)) {
      ready = line;
      if (ready.rfind("READY ", 0) == 0) break;
    }
    fclose(out);
    if (ready.rfind("READY ", 0) != 0) {
      stop();
      throw std::runtime_error("the reference PDS did not start (see its output above)");
    }
    nlohmann::json where = nlohmann::json::parse(ready.substr(6));
    url_ = where["pds"];
    port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
  }
  ~Pds() { stop(); }
  Pds(const Pds&) = delete;
  Pds& operator=(const Pds&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }

  /// Calls an XRPC method: a POST when `body` is given, else a GET of `nsid_and_query`.
  Answer call(const std::string& nsid_and_query, const nlohmann::json* body = nullptr,
              const std::string& token = "") const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    const std::string path = "/xrpc/" + nsid_and_query;
    auto res = body ? client.Post(path.c_str(), headers, body->dump(), "application/json")
                    : client.Get(path.c_str(), headers);
    if (!res) throw std::runtime_error("PDS call " + nsid_and_query + " failed");
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  struct Account {
    std::string did;
    std::string access;
  };
  /// Creates an account and returns its DID and an access token.
  Account create_account(const std::string& handle, const std::string& password) const {
    nlohmann::json request = {
        {"handle", handle}, {"email", handle + "@example.com"}, {"password", password}};
    Answer a = call("com.atproto.server.createAccount", &request);
    if (a.status != 200)
      throw std::runtime_error("createAccount " + handle + ": HTTP " + std::to_string(a.status) +
                               " " + a.body.dump());
    return {a.body["did"], a.body["accessJwt"]};
  }

 private:
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  pid_t pid_ = 0;
  int port_ = 0;
  std::string url_;
};

}  // namespace herald::testing
