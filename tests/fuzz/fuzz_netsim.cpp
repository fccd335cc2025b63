// herald-netsim's handling of the calls Herald's publishers make (tools/netsim/netsim.cpp): a
// request made from the input (method, one of the endpoints with any suffix, headers, body)
// handed to a new simulator through cpp-httplib's request processing, without a socket. Every
// request must get a well-formed HTTP answer and nothing may crash. The operator's fault
// injection (/_netsim/faults) is left out: a latency fault sleeps as asked.
#include "netsim.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <string>

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

/// A connection whose bytes come from the input and whose answer is kept.
class InputStream : public httplib::Stream {
 public:
  explicit InputStream(std::string input) : input_(std::move(input)) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, input_.size() - at_);
    std::memcpy(ptr, input_.data() + at_, n);
    at_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  const std::string& output() const { return output_; }

 private:
  std::string input_;
  size_t at_ = 0;
  std::string output_;
};

/// The server with its request processing in reach.
class Server : public httplib::Server {
 public:
  bool handle(httplib::Stream& stream) {
    bool closed = false;
    return process_request(stream, true, closed, [](httplib::Request&) {});
  }
};

const char* const kPaths[] = {"/api/v2/instance",
                              "/api/v1/accounts/verify_credentials",
                              "/api/v1/accounts/1/statuses",
                              "/api/v1/accounts/lookup?acct=",
                              "/api/v1/statuses",
                              "/api/v1/statuses/1/reblog",
                              "/api/v1/notifications?types[]=mention&limit=40&min_id=",
                              "/api/v1/accounts/1/mute",
                              "/api/v1/reports",
                              "/2/tweets",
                              "/2/users/me",
                              "/2/users/1/tweets?max_results=100",
                              "/2/users/1/mentions?max_results=100&since_id=",
                              "/2/users/1/retweets",
                              "/2/users/1/muting",
                              "/2/users/by/username/",
                              "/2/tweets/1/retweeted_by",
                              "/xrpc/com.atproto.server.createSession",
                              "/xrpc/com.atproto.server.refreshSession",
                              "/xrpc/com.atproto.repo.createRecord",
                              "/xrpc/com.atproto.repo.getRecord?repo=",
                              "/xrpc/com.atproto.identity.resolveHandle?handle=",
                              "/rest/posts",
                              "/rest/posts?q=author&author=",
                              "/hooks/corp",
                              "/ads/promotions",
                              "/_netsim/posts",
                              "/_netsim/requests",
                              "/_netsim/moderation",
                              "/_netsim/stats",
                              "/_netsim/mentions"};

const char* const kHeaders[] = {"Authorization",
                                "Content-Type",
                                "Idempotency-Key",
                                "X-Herald-Signature",
                                "X-Herald-Idempotency-Key",
                                "LinkedIn-Version",
                                "X-Restli-Protocol-Version"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const char* const kMethods[] = {"GET", "POST", "DELETE", "PUT"};
  const bool signed_hooks = in.ConsumeBool();
  std::string method = in.PickValueInArray(kMethods);
  std::string path = in.PickValueInArray(kPaths);
  path += in.ConsumeRandomLengthString(24);
  if (path.rfind("/_netsim/faults", 0) == 0) return 0;
  // A request line with spaces or line breaks in its target is a different request.
  for (char& c : path)
    if (c == ' ' || c == '\r' || c == '\n') c = '_';

  std::string request = method + " " + path + " HTTP/1.1\r\nHost: netsim.test\r\n";
  const int headers = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < headers; ++i) {
    std::string name = in.PickValueInArray(kHeaders);
    std::string value = in.ConsumeBool() && name == "Authorization"
                            ? "Bearer " + in.ConsumeRandomLengthString(12)
                            : in.ConsumeRandomLengthString(40);
    for (char& c : value)
      if (c == '\r' || c == '\n') c = ' ';
    request += name + ": " + value + "\r\n";
  }
  std::string body = in.ConsumeRemainingBytesAsString();
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  Server server;
  std::shared_ptr<void> simulator =
      herald::netsim::install_simulator(server, 1, 7200, signed_hooks ? "secret" : "");
  InputStream stream(std::move(request));
  server.handle(stream);
  // Whatever it made of the request, the answer is an HTTP response.
  check(stream.output().rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
