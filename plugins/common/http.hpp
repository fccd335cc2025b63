// A small HTTP client over libcurl for the publishers: one call, its status, headers and body,
// and whether the request may have reached the server (which decides between a retry and a
// reconcile).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace herald::builtin {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeout_ms = 30'000;
  int64_t connect_timeout_ms = 5'000;
};

struct HttpResponse {
  long status = 0;                             // 0 when no complete response arrived
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string error;        // what went wrong below HTTP, or ""
  bool maybe_sent = false;  // the request may have reached the server
  bool complete() const { return error.empty() && status != 0; }
  std::string header(const std::string& lower_name) const;
};

/// Performs one request. Never throws; transport problems are in `error`.
HttpResponse http(const HttpRequest& request);

/// application/x-www-form-urlencoded value.
std::string form_encode(const std::string& value);

}  // namespace herald::builtin
