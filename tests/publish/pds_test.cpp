// The bluesky publisher against the reference Bluesky PDS (@atproto/pds, run by Node on
// loopback): accounts and sessions, posts with link, mention and tag facets read back from the
// PDS, the PDS's own length validation agreeing with the draft step, and reconcile when the
// PDS already holds the record key (it answers createRecord with 500 then).
#include <herald/host.hpp>

#include "support/pds.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace herald {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "pds-pass-5b1f7e";
constexpr const char* kWrongPassword = "not-the-pass-0c44";

/// A gateway between Herald and the PDS, as a load balancer would stand there: it passes every
/// call through and can be told what to do with the next createRecord.
class Gateway {
 public:
  enum class Next {
    pass,
    send_twice,   // the gateway retries the call itself and answers with the second response
    lose_answer,  // the PDS gets the call, Herald gets 504
  };

  explicit Gateway(int pds_port) : pds_port_(pds_port) {
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Client pds("127.0.0.1", pds_port_);
      pds.set_read_timeout(30);
      httplib::Headers headers;
      for (const char* name : {"Authorization", "Content-Type"})
        if (req.has_header(name)) headers.emplace(name, req.get_header_value(name));
      const std::string& target = req.target;  // the path with its query, as sent
      const bool create = req.path == "/xrpc/com.atproto.repo.createRecord";
      Next next = Next::pass;
      {
        std::lock_guard lock(mutex_);
        if (create) std::swap(next, next_);
        ++calls_[req.path];
      }
      auto send = [&] {
        return req.method == "POST" ? pds.Post(target.c_str(), headers, req.body,
                                               req.get_header_value("Content-Type").c_str())
                                    : pds.Get(target.c_str(), headers);
      };
      auto answer = send();
      if (next == Next::send_twice) answer = send();
      if (!answer || next == Next::lose_answer) {
        res.status = 504;
        res.set_content(R"({"error":"GatewayTimeout","message":"upstream timed out"})",
                        "application/json");
      } else {
        res.status = answer->status;
        res.set_content(answer->body, answer->get_header_value("Content-Type").c_str());
      }
      if (create) {
        std::lock_guard lock(mutex_);
        create_statuses_.push_back(res.status);
      }
    };
    server_.Get(".*", forward);
    server_.Post(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Gateway() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void next_create(Next n) {
    std::lock_guard lock(mutex_);
    next_ = n;
  }
  /// What Herald got back from each createRecord, in order.
  std::vector<int> create_statuses() {
    std::lock_guard lock(mutex_);
    return create_statuses_;
  }
  int calls(const std::string& path) {
    std::lock_guard lock(mutex_);
    return calls_[path];
  }

 private:
  int pds_port_;
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  Next next_ = Next::pass;
  std::vector<int> create_statuses_;
  std::map<std::string, int> calls_;
};

class RealBluesky : public ::testing::Test {
 protected:
  /// One PDS for the suite, started by the first test (a failure to start fails that test).
  static void start_pds() {
    if (pds_) return;
    const char* dir = std::getenv("HERALD_TEST_PDS_DIR");
    if (!dir) dir = PDS_DIR;
    data_ = new testing::TempDir();
    pds_ = new testing::Pds(dir, data_->file("pds"));
    friend_ = new testing::Pds::Account(pds_->create_account("ana-lima.test", kPassword));
  }
  static void TearDownTestSuite() {
    delete friend_;
    delete pds_;
    delete data_;
    friend_ = nullptr;
    pds_ = nullptr;
    data_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NO_THROW(start_pds());
    // One account per test, so that each test reads back only its own records.
    static int serial = 0;
    handle_ = "corp" + std::to_string(++serial) + ".test";
    account_ = pds_->create_account(handle_, kPassword);
    gateway_ = std::make_unique<Gateway>(pds_->port());
    setenv("HERALD_TEST_PDS_PASSWORD", kPassword, 1);
    setenv("HERALD_TEST_PDS_WRONG_PASSWORD", kWrongPassword, 1);
    HostOptions options;
    options.resolve_secrets = true;
    auto host = Host::open(dir_.write("company.yaml", config_yaml()), options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }

  std::string config_yaml() const {
    // Two accounts on the same PDS account: one with its password, one with a wrong one.
    auto account = [&](const std::string& name, const std::string& password_variable) {
      return "  " + name + ":\n    network: bluesky\n    handle: " + handle_ +
             "\n    endpoint: " + gateway_->url() +
             "\n    credentials: { app_password: \"${env:" + password_variable + "}\" }\n";
    };
    return std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: publish.db }
engine: { retry_delay_seconds: 0.05, max_retry_delay_seconds: 0.5, max_attempts: 6 }
accounts:
)" + account("sky", "HERALD_TEST_PDS_PASSWORD") +
           account("locked", "HERALD_TEST_PDS_WRONG_PASSWORD") + R"(
people:
  ana: { roles: [writer] }
workflows:
  checked:
    steps:
      - { name: length, kind: draft, plugin: draft/length }
      - { name: bluesky, kind: publish, plugin: bluesky }
  direct:
    steps:
      - { name: bluesky, kind: publish, plugin: bluesky }
)";
  }

  int64_t submit(const std::string& workflow, const std::string& text,
                 const std::string& account = "sky") {
    auto id = host_->submit({workflow, account, "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }

  /// Runs the engine until every post has settled (done, rejected, failed or held).
  void settle() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto summary = host_->run({});
      ASSERT_TRUE(summary) << summary.status().message();
      auto posts = host_->posts();
      ASSERT_TRUE(posts) << posts.status().message();
      bool open = false;
      for (const PostView& p : *posts)
        open |=
            p.state != "done" && p.state != "rejected" && p.state != "failed" && p.state != "held";
      if (!open) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "posts did not settle within 60 s";
  }

  PostView post(int64_t id) { return *host_->post(id); }
  std::string trail(int64_t id) {
    Result<std::vector<AuditRecord>> records = host_->audit(id);
    if (!records) return records.status().message();
    std::string out;
    for (const AuditRecord& r : *records) out += r.to_state + ": " + r.detail + "\n";
    return out;
  }

  /// The account's posts as the PDS lists them.
  json records() const {
    Answer a = pds_->call("com.atproto.repo.listRecords?repo=" + account_.did +
                          "&collection=app.bsky.feed.post&limit=100");
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return a.body.value("records", json::array());
  }
  /// The record a post was published as, read from the PDS by its at:// URI.
  json record_of(const PostView& p) const {
    const std::string rkey = p.remote_id.substr(p.remote_id.rfind('/') + 1);
    Answer a = pds_->call("com.atproto.repo.getRecord?repo=" + account_.did +
                          "&collection=app.bsky.feed.post&rkey=" + rkey);
    EXPECT_EQ(a.status, 200) << p.remote_id << ": " << a.body.dump();
    return a.body;
  }
  /// The PDS's own verdict on a text: createRecord straight from the test, validated.
  int pds_status_for(const std::string& text) const {
    json request = {{"repo", account_.did},
                    {"collection", "app.bsky.feed.post"},
                    {"record",
                     {{"$type", "app.bsky.feed.post"},
                      {"text", text},
                      {"createdAt", "2026-11-24T09:00:00.000Z"}}}};
    return pds_->call("com.atproto.repo.createRecord", &request, account_.access).status;
  }

  using Answer = testing::Answer;
  static testing::TempDir* data_;
  static testing::Pds* pds_;
  static testing::Pds::Account* friend_;
  testing::TempDir dir_;
  std::string handle_;
  testing::Pds::Account account_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<Host> host_;
};

testing::TempDir* RealBluesky::data_ = nullptr;
testing::Pds* RealBluesky::pds_ = nullptr;
testing::Pds::Account* RealBluesky::friend_ = nullptr;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_F(RealBluesky, PublishesPostsWithFacetsThatPointAtTheRightBytes) {
  const std::string text =
      "Grand opening — café ☕ 🦋 details: https://acme.example/launch?x=1 #launch "
      "thanks @ana-lima.test";
  int64_t id = submit("direct", text);
  int64_t plain = submit("direct", "Ünïcode ✓ and nothing to link");
  settle();
  PostView p = post(id);
  ASSERT_EQ(p.state, "done") << p.reason << "\n" << trail(id);
  EXPECT_EQ(p.remote_id.rfind("at://" + account_.did + "/app.bsky.feed.post/", 0), 0u)
      << p.remote_id;
  ASSERT_EQ(post(plain).state, "done") << post(plain).reason;

  json stored = record_of(p);
  ASSERT_EQ(stored["value"]["text"], text);
  std::map<std::string, std::string> seen;  // facet type -> the bytes it covers
  for (const json& facet : stored["value"]["facets"]) {
    const size_t start = facet["index"]["byteStart"], end = facet["index"]["byteEnd"];
    ASSERT_LE(start, end);
    ASSERT_LE(end, text.size());
    const std::string covered = text.substr(start, end - start);
    const json& feature = facet["features"][0];
    const std::string type = feature["$type"];
    seen[type] = covered;
    if (type == "app.bsky.richtext.facet#link") {
      EXPECT_EQ(covered, feature["uri"]);
    } else if (type == "app.bsky.richtext.facet#tag") {
      EXPECT_EQ(covered, "#" + feature["tag"].get<std::string>());
    } else if (type == "app.bsky.richtext.facet#mention") {
      EXPECT_EQ(feature["did"], friend_->did);
    }
  }
  EXPECT_EQ(seen["app.bsky.richtext.facet#link"], "https://acme.example/launch?x=1");
  EXPECT_EQ(seen["app.bsky.richtext.facet#tag"], "#launch");
  EXPECT_EQ(seen["app.bsky.richtext.facet#mention"], "@ana-lima.test");
  EXPECT_FALSE(record_of(post(plain))["value"].contains("facets"));
  EXPECT_EQ(records().size(), 2u);
}

TEST_F(RealBluesky, ThePdsAndTheDraftStepAgreeOnWhatFits) {
  // Graphemes (300) and UTF-8 bytes (3000), at and just past each limit.
  const std::vector<std::string> texts = {
      repeat("a", 300),
      repeat("a", 301),
      repeat("🦋", 300),
      repeat("🦋", 301),
      repeat("e\u0301", 300),
      repeat("e\u0301", 301),
      repeat("👨‍👩‍👧", 166),
      repeat("👨‍👩‍👧", 167),
  };
  std::vector<int64_t> ids;
  for (const std::string& t : texts) ids.push_back(submit("checked", t));
  settle();
  int published = 0, refused = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    PostView p = post(ids[i]);
    if (p.state == "done") {
      ++published;  // the PDS took what the draft step let through
      EXPECT_EQ(record_of(p)["value"]["text"], texts[i]);
    } else {
      ++refused;
      EXPECT_EQ(p.state, "rejected") << i << ": " << p.reason;
      EXPECT_EQ(p.step_kind, "draft") << i;
      // ...and refuses what the draft step refused.
      EXPECT_EQ(pds_status_for(texts[i]), 400) << "text " << i << " was refused by Herald only";
    }
  }
  EXPECT_EQ(published, 4);
  EXPECT_EQ(refused, 4);

  // Without the draft step, the PDS is the one to say no: a permanent failure, not retried.
  const int creates_before = gateway_->calls("/xrpc/com.atproto.repo.createRecord");
  int64_t unchecked = submit("direct", repeat("a", 301));
  settle();
  PostView p = post(unchecked);
  EXPECT_EQ(p.state, "failed") << p.reason;
  EXPECT_NE(p.reason.find("grapheme too big"), std::string::npos) << p.reason;
  EXPECT_EQ(gateway_->calls("/xrpc/com.atproto.repo.createRecord"), creates_before + 1)
      << trail(unchecked);
}

TEST_F(RealBluesky, ARecordKeyThePdsAlreadyHoldsEndsAsThatRecord) {
  // The gateway delivers createRecord twice: the PDS stores the post and answers the second
  // delivery with 500 (the key is taken), which is what Herald sees.
  gateway_->next_create(Gateway::Next::send_twice);
  const std::string text = "Delivered twice, stored once #once";
  int64_t id = submit("direct", text);
  settle();
  PostView p = post(id);
  ASSERT_EQ(p.state, "done") << p.reason << "\n" << trail(id);
  std::vector<int> statuses = gateway_->create_statuses();
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses[0], 500);
  EXPECT_EQ(statuses.size(), 1u) << "createRecord was sent again instead of looking first";
  EXPECT_NE(trail(id).find("found on bluesky from an earlier attempt"), std::string::npos)
      << trail(id);
  json all = records();
  ASSERT_EQ(all.size(), 1u) << all.dump(2);
  EXPECT_EQ(all[0]["uri"], p.remote_id);
  EXPECT_EQ(all[0]["value"]["text"], text);
}

TEST_F(RealBluesky, AnAnswerLostOnTheWayIsLookedUpNotRepeated) {
  gateway_->next_create(Gateway::Next::lose_answer);
  int64_t id = submit("direct", "The PDS took it; the answer never came back");
  settle();
  PostView p = post(id);
  ASSERT_EQ(p.state, "done") << p.reason << "\n" << trail(id);
  EXPECT_EQ(gateway_->create_statuses(), std::vector<int>{504});
  json all = records();
  ASSERT_EQ(all.size(), 1u) << all.dump(2);
  EXPECT_EQ(all[0]["uri"], p.remote_id);
}

TEST_F(RealBluesky, AWrongPasswordHoldsTheAccountAfterOneSignIn) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(submit("direct", "locked out " + std::to_string(i), "locked"));
  settle();
  for (int64_t id : ids) {
    PostView p = post(id);
    EXPECT_EQ(p.state, "held") << p.reason;
    EXPECT_NE(p.reason.find("refused the handle and app password"), std::string::npos) << p.reason;
    EXPECT_EQ(p.reason.find(kWrongPassword), std::string::npos);
    EXPECT_EQ(trail(id).find(kWrongPassword), std::string::npos);
  }
  EXPECT_EQ(gateway_->calls("/xrpc/com.atproto.server.createSession"), 1);
  EXPECT_EQ(gateway_->calls("/xrpc/com.atproto.repo.createRecord"), 0);
  EXPECT_TRUE(records().empty());
}

TEST_F(RealBluesky, ABoostIsARepostRecordThePdsAcceptsMadeOnce) {
  int64_t original_id = submit("direct", "Worth a repost #launch");
  settle();
  PostView original = post(original_id);
  ASSERT_EQ(original.state, "done") << original.reason;
  // What the crosspost step's boost mode submits; the repost's answer is lost once.
  gateway_->next_create(Gateway::Next::lose_answer);
  auto boost_id = host_->submit({"direct",
                                 "sky",
                                 "ana",
                                 "boost",
                                 {"crosspost", "boost", "boost-of:" + original.remote_id},
                                 ""});
  ASSERT_TRUE(boost_id) << boost_id.status().message();
  settle();
  PostView boost = post(*boost_id);
  ASSERT_EQ(boost.state, "done") << boost.reason << "\n" << trail(*boost_id);
  Answer reposts = pds_->call("com.atproto.repo.listRecords?repo=" + account_.did +
                              "&collection=app.bsky.feed.repost&limit=100");
  ASSERT_EQ(reposts.status, 200) << reposts.body.dump();
  json all = reposts.body.value("records", json::array());
  ASSERT_EQ(all.size(), 1u) << all.dump(2);  // once, though the answer was lost
  EXPECT_EQ(all[0]["uri"], boost.remote_id);
  const json& subject = all[0]["value"]["subject"];
  EXPECT_EQ(subject["uri"], original.remote_id);
  EXPECT_EQ(subject["cid"], record_of(original)["cid"]);  // a strong reference
  EXPECT_EQ(records().size(), 1u);                        // no new post, only the repost
}

TEST_F(RealBluesky, OneSessionServesManyPosts) {
  for (int i = 0; i < 20; ++i) submit("direct", "post " + std::to_string(i) + " #batch");
  settle();
  EXPECT_EQ(records().size(), 20u);
  EXPECT_EQ(gateway_->calls("/xrpc/com.atproto.server.createSession"), 1);
  EXPECT_EQ(gateway_->calls("/xrpc/com.atproto.repo.createRecord"), 20);
}

}  // namespace
}  // namespace herald
