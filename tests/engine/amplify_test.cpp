// Employee advocacy on the virtual clock: requests spread over the window, the daily cap per
// person, suggested texts counted per network, opt-in per account, and reported shares.
#include "support/netsim.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace herald {
namespace {

using nlohmann::json;
using testing::TempDir;

const int64_t kStart = parse_time("2026-12-01T09:00:00Z", "")->utc_ms;
constexpr int64_t kMinute = 60'000;

class Advocacy : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: outbox, handle: corp }
  other: { network: outbox, handle: other }
people:
  ana: { roles: [writer] }
  p1: {}
  p2: {}
  p3: {}
  p4: {}
  p5: {}
notifiers:
  outbox: { plugin: notify/outbox, config: { directory: out } }
workflows:
  w:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - kind: amplify
        plugin: advocacy
        config: { directory: out, window: 2h, max_per_day: 2, networks: [x, linkedin] }
)";
    HostOptions options;
    options.clock = make_virtual_clock(kStart);
    auto host = Host::open(dir_.write("herald.yaml", yaml), options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
    for (const char* person : {"p1", "p2", "p3", "p4", "ana"})
      ASSERT_TRUE(host_->advocacy(person, "corp", true));
    ASSERT_TRUE(host_->advocacy("p5", "other", true));
  }

  int64_t submit(const std::string& text = "We open in Oslo") {
    auto id = host_->submit({"w", "corp", "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    return *id;
  }

  std::vector<json> requests() {
    std::vector<json> out;
    std::ifstream in(dir_.file("out/share-requests.jsonl"));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Host> host_;
};

TEST_F(Advocacy, RequestsAreSpreadOverTheWindowToThePeopleWhoOptedIn) {
  int64_t id = submit();
  RunOptions until_50m;
  until_50m.until_ms = kStart + 50 * kMinute;
  ASSERT_TRUE(host_->run(until_50m));
  EXPECT_EQ(requests().size(), 2u);  // due at 15 and 45 minutes
  EXPECT_EQ(host_->post(id)->state, "waiting");
  ASSERT_TRUE(host_->run({}));
  std::vector<json> sent = requests();
  ASSERT_EQ(sent.size(), 4u);
  std::vector<std::string> people;
  std::vector<int64_t> due;
  for (const json& r : sent) {
    people.push_back(r["person"]);
    due.push_back(r["due"].get<int64_t>() - kStart);
  }
  // Not the author, not p5 (who opted in to another account); one every 30 minutes.
  EXPECT_EQ(people, (std::vector<std::string>{"p1", "p2", "p3", "p4"}));
  EXPECT_EQ(due, (std::vector<int64_t>{15 * kMinute, 45 * kMinute, 75 * kMinute, 105 * kMinute}));
  EXPECT_EQ(host_->post(id)->state, "done");
  EXPECT_EQ(host_->amplify_status(id)->requests_sent, 4);
  // Running again sends nothing twice.
  ASSERT_TRUE(host_->run({}));
  EXPECT_EQ(requests().size(), 4u);
}

TEST_F(Advocacy, NobodyGetsMoreThanTheDailyCapAndTheNextDayCountsAfresh) {
  int64_t first = submit(), second = submit(), third = submit();
  ASSERT_TRUE(host_->run({}));
  EXPECT_EQ(requests().size(), 8u);  // 4 people × 2 a day
  auto status = host_->amplify_status(third);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->requests_sent + status->requests_over_cap, 4);
  int64_t capped = 0;
  for (int64_t id : {first, second, third}) {
    EXPECT_EQ(host_->post(id)->state, "done");
    capped += host_->amplify_status(id)->requests_over_cap;
  }
  EXPECT_EQ(capped, 4);
  // A day later the same people are asked again.
  host_->clock().advance_to(kStart + 86'400'000);
  submit();
  ASSERT_TRUE(host_->run({}));
  EXPECT_EQ(requests().size(), 12u);
}

TEST_F(Advocacy, SuggestedTextsFitEachNetworkAsItCounts) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
  text += "end";
  submit(text);
  ASSERT_TRUE(host_->run({}));
  std::vector<json> sent = requests();
  ASSERT_FALSE(sent.empty());
  const json& suggestions = sent.front()["suggestions"];
  const json& x = suggestions["x"];
  EXPECT_LE(x["length"].get<int64_t>(), 280);
  EXPECT_GT(x["length"].get<int64_t>(), 250);  // shortened at a word, not emptied
  std::string shortened = x["text"];
  EXPECT_EQ(shortened.substr(shortened.size() - 3), "…");
  EXPECT_EQ(suggestions["linkedin"]["text"], text);  // fits in 3,000
}

TEST_F(Advocacy, OptingOutStopsRequestsAndSharesAreRecordedOnThePost) {
  ASSERT_TRUE(host_->advocacy("p2", "corp", false));
  EXPECT_FALSE(*host_->advocacy("p2", "corp", false));  // already out
  int64_t id = submit();
  EXPECT_EQ(host_->report_share(id, "p1", "https://x.example/p1/1").code(),
            ErrorCode::failed_precondition);  // not published yet
  ASSERT_TRUE(host_->run({}));
  EXPECT_EQ(requests().size(), 3u);
  ASSERT_TRUE(host_->report_share(id, "p1", "https://x.example/p1/1"));
  EXPECT_EQ(host_->report_share(id, "nobody", "https://x.example").code(), ErrorCode::not_found);
  auto status = host_->amplify_status(id);
  ASSERT_EQ(status->shares.size(), 1u);
  EXPECT_EQ(status->shares[0].person, "p1");
  EXPECT_EQ(status->shares[0].url, "https://x.example/p1/1");
  EXPECT_EQ(host_->post(id)->state, "done");
  auto trail = host_->audit(id);
  EXPECT_EQ(trail->back().action, "shared");
  EXPECT_TRUE(host_->verify_audit()->intact);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(AdvocacyWebhook, RequestsArePostedOnceEachEvenWhenAnAnswerIsLost) {
  testing::Netsim netsim(NETSIM);
  // The first request is created but its answer is lost; the step tries again and the
  // idempotency key makes the second try the same request.
  netsim.post("/_netsim/faults", {{"kind", "drop_response"}, {"network", "webhook"}, {"count", 1}});
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
engine: { retry_delay_seconds: 1 }
accounts: { corp: { network: outbox, handle: corp } }
people: { ana: {}, p1: {}, p2: {} }
notifiers:
  hr: { plugin: notify/webhook, config: { url: ")" +
                     netsim.url() + R"(/hooks/advocacy" } }
workflows:
  w:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - kind: amplify
        plugin: advocacy
        config: { notifier: hr, directory: out, window: 10m }
)";
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  auto host = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(host) << host.status().message();
  for (const char* person : {"p1", "p2"}) ASSERT_TRUE((*host)->advocacy(person, "corp", true));
  auto id = (*host)->submit({"w", "corp", "ana", "We open in Oslo", {}, ""});
  ASSERT_TRUE(id);
  ASSERT_TRUE((*host)->run({}));
  EXPECT_EQ((*host)->post(*id)->state, "done") << (*host)->post(*id)->reason;
  json posts = netsim.get("/_netsim/posts?network=webhook");
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  EXPECT_EQ((*host)->amplify_status(*id)->requests_sent, 2);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

std::string notifier_config(const std::string& notifiers, const std::string& step_config) {
  return std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
engine: { retry_delay_seconds: 1 }
accounts: { corp: { network: outbox, handle: corp } }
people: { ana: {}, p1: {}, p2: {} }
)" + notifiers +
         R"(
workflows:
  w:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - { kind: amplify, plugin: advocacy, config: )" +
         step_config + R"( }
)";
}

TEST(Notifiers, AStepNamingAnUndeclaredNotifierIsRefusedWhereItIsWritten) {
  TempDir dir;
  auto host = Host::open(dir.write("herald.yaml", notifier_config("", "{ notifier: slack }")));
  ASSERT_FALSE(host);
  const std::string& message = host.status().message();
  EXPECT_NE(message.find("herald.yaml:11:"), std::string::npos) << message;
  EXPECT_NE(message.find("no notifier 'slack'"), std::string::npos) << message;
  EXPECT_NE(message.find("notifiers:"), std::string::npos) << message;
}

TEST(Notifiers, ANotifierIsCheckedAgainstItsPluginsSchema) {
  TempDir dir;
  auto host = Host::open(
      dir.write("herald.yaml",
                notifier_config("notifiers:\n  hr: { plugin: notify/webhook, config: { uri: x } }",
                                "{ notifier: hr }")));
  ASSERT_FALSE(host);
  const std::string& message = host.status().message();
  EXPECT_NE(message.find("unknown key 'uri'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'url'"), std::string::npos) << message;
  EXPECT_NE(message.find("missing required key 'url'"), std::string::npos) << message;
}

TEST(Notifiers, RequestsARefusedByTheNotifierAreRecordedAndNotRetried) {
  testing::Netsim netsim(NETSIM);
  TempDir dir;
  // No such hook: the server answers 404, which is final.
  auto opened = Host::open(
      dir.write("herald.yaml",
                notifier_config("notifiers:\n  hr: { plugin: notify/webhook, config: { url: \"" +
                                    netsim.url() + "/gone/advocacy\" } }",
                                "{ notifier: hr, window: 0s }")),
      [] {
        HostOptions options;
        options.clock = make_virtual_clock(kStart);
        return options;
      }());
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  for (const char* person : {"p1", "p2"}) ASSERT_TRUE(host.advocacy(person, "corp", true));
  auto id = host.submit({"w", "corp", "ana", "We open in Oslo", {}, ""});
  ASSERT_TRUE(host.run({}));
  EXPECT_EQ(host.post(*id)->state, "done") << host.post(*id)->reason;
  auto status = host.amplify_status(*id);
  EXPECT_EQ(status->requests_sent, 0);
  EXPECT_EQ(status->requests_refused, 2);
  EXPECT_NE(host.post(*id)->reason.find("the notifier refused some"), std::string::npos);
}

TEST(Notifiers, ANotifierThatIsDownIsRetriedAndEachPersonIsAskedOnce) {
  testing::Netsim netsim(NETSIM);
  netsim.post("/_netsim/faults", {{"kind", "5xx"}, {"network", "webhook"}, {"count", 3}});
  TempDir dir;
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  auto opened = Host::open(
      dir.write("herald.yaml",
                notifier_config("notifiers:\n  hr: { plugin: notify/webhook, config: { url: \"" +
                                    netsim.url() + "/hooks/advocacy\" } }",
                                "{ notifier: hr, window: 0s }")),
      options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  for (const char* person : {"p1", "p2"}) ASSERT_TRUE(host.advocacy(person, "corp", true));
  auto id = host.submit({"w", "corp", "ana", "We open in Oslo", {}, ""});
  ASSERT_TRUE(host.run({}));
  EXPECT_EQ(host.post(*id)->state, "done") << host.post(*id)->reason;
  json posts = netsim.get("/_netsim/posts?network=webhook");
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  std::set<std::string> to;
  for (const json& p : posts) to.insert(p["key"].get<std::string>());
  EXPECT_EQ(to.size(), 2u);  // one key per person
  EXPECT_EQ(host.amplify_status(*id)->requests_sent, 2);
  bool retried = false;
  Result<std::vector<AuditRecord>> trail = host.audit(*id);
  ASSERT_TRUE(trail);
  for (const AuditRecord& e : trail.value())
    retried = retried || (e.action == "retry" && e.detail.find("notifier hr") != std::string::npos);
  EXPECT_TRUE(retried);
}

TEST(CrossPost, CopiesAreMadeAfterTheDelayAndCheckedForTheirOwnNetwork) {
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: mastodon, handle: "@corp@social.example" }
  corp_x: { network: x, handle: "@corp" }
  corp_sky: { network: bluesky, handle: corp.bsky.social }
people: { ana: {} }
workflows:
  main:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - kind: amplify
        plugin: crosspost
        config: { to: [corp, corp_x, corp_sky], workflow: copies, delay: 30m }
  copies:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - { kind: amplify, plugin: crosspost, config: { to: [corp], workflow: copies } }
)";
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  // 290 characters: fits Mastodon (500) and Bluesky (300), not X (280).
  std::string text = "Thanks @ana@social.example! " + std::string(262, 'a');
  ASSERT_EQ(text.size(), 290u);
  auto id = host.submit({"main", "corp", "ana", text, {"news"}, ""});
  ASSERT_TRUE(id);
  RunOptions until_20m;
  until_20m.until_ms = kStart + 20 * kMinute;
  ASSERT_TRUE(host.run(until_20m));
  EXPECT_EQ(host.posts()->size(), 1u);  // not yet
  ASSERT_TRUE(host.run({}));
  auto posts = host.posts();
  ASSERT_EQ(posts->size(), 3u);  // the original and one copy per other account, once
  std::map<std::string, PostView> copies;
  for (const PostView& p : *posts)
    if (p.id != *id) copies[p.account] = p;
  ASSERT_EQ(copies.count("corp_x"), 1u);
  ASSERT_EQ(copies.count("corp_sky"), 1u);
  EXPECT_EQ(copies["corp_x"].state, "rejected");
  EXPECT_NE(copies["corp_x"].reason.find("280"), std::string::npos) << copies["corp_x"].reason;
  EXPECT_EQ(copies["corp_sky"].state, "done") << copies["corp_sky"].reason;
  EXPECT_EQ(copies["corp_sky"].text.find("@ana@"), std::string::npos);  // no stray mention
  EXPECT_EQ(copies["corp_sky"].tags,
            (std::vector<std::string>{"news", "crosspost", "copy-of-" + std::to_string(*id)}));
  EXPECT_EQ(copies["corp_sky"].created_ms, kStart + 30 * kMinute);
  EXPECT_EQ(testing::count_lines(testing::read_file(dir.file("out/corp_sky.jsonl"))), 1u);
  EXPECT_EQ(host.post(*id)->state, "done");
  // The copies' entries are part of the one audit chain.
  EXPECT_TRUE(host.verify_audit()->intact);
  EXPECT_EQ(host.audit(copies["corp_sky"].id)->front().action, "submit");
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(Promote, PromotionsStayWithinTheBudgetsUnlessAPersonApproves) {
  testing::Netsim netsim(NETSIM);
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts: { corp: { network: outbox, handle: corp } }
people: { ana: { roles: [writer] }, mo: { roles: [marketing] } }
workflows:
  w:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
      - kind: amplify
        plugin: promote
        config:
          campaign: launch
          amount: 50
          daily_budget: 100
          campaign_budget: 120
          endpoint: ")" +
                     netsim.url() +
                     R"(/ads"
          directory: out
)";
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  auto submit = [&] { return *host.submit({"w", "corp", "ana", "Rocket is here", {}, ""}); };
  int64_t first = submit(), second = submit(), third = submit();
  ASSERT_TRUE(host.run({}));
  EXPECT_EQ(host.post(first)->state, "done");
  EXPECT_EQ(host.post(second)->state, "done");
  EXPECT_NE(host.post(second)->reason.find("today 100.00 USD of 100.00 USD"), std::string::npos)
      << host.post(second)->reason;
  // The third would take the day to 150 of 100: held for marketing.
  PostView held = *host.post(third);
  EXPECT_EQ(held.state, "held");
  EXPECT_NE(held.reason.find("today's spending would be 150.00 USD of 100.00 USD"),
            std::string::npos)
      << held.reason;
  EXPECT_EQ(host.approve(third, "ana", "").code(), ErrorCode::permission_denied);
  ASSERT_TRUE(host.approve(third, "mo", "worth it"));
  ASSERT_TRUE(host.run({}));
  EXPECT_EQ(host.post(third)->state, "done");
  EXPECT_NE(host.post(third)->reason.find("approved by mo"), std::string::npos);
  // The next day the daily budget is fresh, but the campaign's 120 is spent.
  host.clock().advance_to(kStart + 86'400'000);
  int64_t fourth = submit();
  ASSERT_TRUE(host.run({}));
  EXPECT_EQ(host.post(fourth)->state, "held");
  EXPECT_NE(host.post(fourth)->reason.find("campaign's spending would be 200.00 USD of 120.00 USD"),
            std::string::npos)
      << host.post(fourth)->reason;
  // Three promotions reached the ad API, each once.
  json promotions = netsim.get("/_netsim/posts?network=ads");
  ASSERT_EQ(promotions.size(), 3u) << promotions.dump();
  EXPECT_EQ(promotions[0]["record"]["amount"], 50.0);
  EXPECT_EQ(promotions[0]["record"]["campaign"], "launch");
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(CrossPost, ABoostReSharesThePostFromAnotherAccountOnce) {
  testing::Netsim netsim(NETSIM);
  setenv("HERALD_TEST_CORP_TOKEN", "corp-token-71", 1);
  setenv("HERALD_TEST_TEAM_TOKEN", "team-token-93", 1);
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp:
    network: mastodon
    endpoint: )" + netsim.url() +
                     R"(
    credentials: { token: "${env:HERALD_TEST_CORP_TOKEN}" }
  team:
    network: mastodon
    endpoint: )" + netsim.url() +
                     R"(
    credentials: { token: "${env:HERALD_TEST_TEAM_TOKEN}" }
people: { ana: {} }
workflows:
  main:
    steps:
      - { kind: publish, plugin: mastodon }
      - kind: amplify
        plugin: crosspost
        config: { to: [team], workflow: boosts, mode: boost, delay: 10m }
  boosts:
    steps:
      - { kind: publish, plugin: mastodon }
)";
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  options.resolve_secrets = true;
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  auto id = host.submit({"main", "corp", "ana", "Rocket is here", {}, ""});
  ASSERT_TRUE(id);
  // The boost's answer is lost once: the publisher reconciles instead of boosting again.
  ASSERT_TRUE(
      host.run(RunOptions{.until_idle = true, .max_rounds = 0, .until_ms = kStart + 5 * kMinute}));
  netsim.post("/_netsim/faults",
              {{"kind", "drop_response"}, {"network", "mastodon"}, {"count", 1}});
  ASSERT_TRUE(host.run({}));
  auto posts = host.posts();
  ASSERT_EQ(posts->size(), 2u);
  const PostView& boost = posts->at(1);
  EXPECT_EQ(boost.account, "team");
  EXPECT_EQ(boost.state, "done") << boost.reason;
  json statuses = netsim.get("/_netsim/posts?network=mastodon");
  ASSERT_EQ(statuses.size(), 2u) << statuses.dump();
  EXPECT_EQ(statuses[0]["text"], "Rocket is here");
  EXPECT_EQ(statuses[1]["key"], "reblog:" + host.post(*id)->remote_id);
  EXPECT_EQ(statuses[1]["account"], "team-token-93");
  EXPECT_EQ(boost.remote_id, statuses[1]["id"]);
}

/// Publishes a post on `network` from one account and boosts it from another through the
/// network simulator, losing the boost's answer once. Returns the two posts.
std::vector<PostView> boost_on(testing::Netsim& netsim, const std::string& network,
                               const std::string& credentials_of_corp,
                               const std::string& credentials_of_team) {
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  corp: { network: )" +
                     network + ", handle: corp.netsim.test, endpoint: " + netsim.url() +
                     ", credentials: " + credentials_of_corp + R"( }
  team: { network: )" +
                     network + ", handle: team.netsim.test, endpoint: " + netsim.url() +
                     ", credentials: " + credentials_of_team + R"( }
  other: { network: mastodon, handle: "@corp@netsim.test" }
people: { ana: {} }
workflows:
  main:
    steps:
      - { kind: publish, plugin: )" +
                     network + R"( }
      - kind: amplify
        plugin: crosspost
        config: { to: [team, other], workflow: boosts, mode: boost, delay: 10m }
  boosts:
    steps:
      - { kind: publish, plugin: )" +
                     network + R"( }
)";
  HostOptions options;
  options.clock = make_virtual_clock(kStart);
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  EXPECT_TRUE(opened) << opened.status().message();
  if (!opened) return {};
  Host& host = **opened;
  auto id = host.submit({"main", "corp", "ana", "Rocket is here on " + network, {}, ""});
  EXPECT_TRUE(id);
  EXPECT_TRUE(
      host.run(RunOptions{.until_idle = true, .max_rounds = 0, .until_ms = kStart + 5 * kMinute}));
  // The repost is made but its answer is lost: the publisher finds it instead of reposting.
  netsim.post("/_netsim/faults", {{"kind", "drop_response"}, {"network", network}, {"count", 1}});
  EXPECT_TRUE(host.run({}));
  auto posts = host.posts();
  EXPECT_TRUE(posts);
  if (!posts || posts->size() != 2) return posts ? *posts : std::vector<PostView>{};
  // The Mastodon account is on another network: left out, and the step says so.
  EXPECT_NE(posts->at(0).reason.find("not boosted from " + network + ": other (mastodon)"),
            std::string::npos)
      << posts->at(0).reason;
  return *posts;
}

TEST(CrossPost, ABlueskyBoostIsARepostRecordOfTheOriginalMadeOnce) {
  testing::Netsim netsim(NETSIM);
  setenv("HERALD_TEST_SKY_CORP", "corp-app-password", 1);
  setenv("HERALD_TEST_SKY_TEAM", "team-app-password", 1);
  std::vector<PostView> posts =
      boost_on(netsim, "bluesky", R"({ app_password: "${env:HERALD_TEST_SKY_CORP}" })",
               R"({ app_password: "${env:HERALD_TEST_SKY_TEAM}" })");
  ASSERT_EQ(posts.size(), 2u);
  const PostView &original = posts[0], &boost = posts[1];
  EXPECT_EQ(boost.state, "done") << boost.reason;
  json records = netsim.get("/_netsim/posts?network=bluesky");
  ASSERT_EQ(records.size(), 2u) << records.dump();  // the post and one repost, despite the loss
  EXPECT_EQ(records[0]["id"], original.remote_id);
  const json& repost = records[1]["record"];
  EXPECT_EQ(repost["$type"], "app.bsky.feed.repost");
  EXPECT_EQ(repost["subject"]["uri"], original.remote_id);
  EXPECT_NE(records[1]["account"], records[0]["account"]);  // from the team's repo
  EXPECT_EQ(boost.remote_id, records[1]["id"]);
  EXPECT_NE(boost.remote_id.find("/app.bsky.feed.repost/"), std::string::npos);
}

TEST(CrossPost, AnXBoostIsARepostOfTheOriginalMadeOnce) {
  testing::Netsim netsim(NETSIM);
  setenv("HERALD_TEST_X_CORP", "corp-x-token", 1);
  setenv("HERALD_TEST_X_TEAM", "team-x-token", 1);
  std::vector<PostView> posts = boost_on(netsim, "x", R"({ token: "${env:HERALD_TEST_X_CORP}" })",
                                         R"({ token: "${env:HERALD_TEST_X_TEAM}" })");
  ASSERT_EQ(posts.size(), 2u);
  const PostView &original = posts[0], &boost = posts[1];
  EXPECT_EQ(boost.state, "done") << boost.reason;
  json made = netsim.get("/_netsim/posts?network=x");
  ASSERT_EQ(made.size(), 2u) << made.dump();
  EXPECT_EQ(made[0]["id"], original.remote_id);
  EXPECT_EQ(made[1]["key"], "retweet:" + original.remote_id);
  EXPECT_EQ(made[1]["account"], "team-x-token");
  EXPECT_EQ(boost.remote_id, "repost:" + original.remote_id);
}

TEST(CrossPost, BoostsAreForMastodonBlueskyAndXAccounts) {
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts: { corp: { network: mastodon }, corp_in: { network: linkedin } }
workflows:
  main:
    steps:
      - { kind: publish, plugin: outbox }
      - { kind: amplify, plugin: crosspost, config: { to: [corp_in], workflow: main, mode: boost } }
)";
  auto host = Host::open(dir.write("herald.yaml", yaml));
  ASSERT_FALSE(host);
  EXPECT_NE(host.status().message().find(
                "corp_in is on linkedin; boosts are made on Mastodon, Bluesky and X"),
            std::string::npos)
      << host.status().message();
}

}  // namespace
}  // namespace herald
