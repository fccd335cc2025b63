// Inbound mentions: the influence order, every moderation action (words, RE2 patterns, repeat
// offenders inside and outside their window), and the support loop from a mention to a reply
// published on the support account of the network simulator.
#include "support/netsim.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

namespace herald {
namespace {

using testing::TempDir;

const char* kToken = "inbound-test-token-1b7f";

class Inbound : public ::testing::Test {
 protected:
  void SetUp() override { setenv("HERALD_TEST_SUPPORT_TOKEN", kToken, 1); }

  std::unique_ptr<Host> open(const std::string& inbound, const std::string& support_endpoint = "") {
    std::string yaml =
        std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + ", " + FIXTURE_DIR +
        R"(/inbound]
accounts:
  corp_x: { network: x, handle: "@corp" }
  corp_masto: { network: mastodon, handle: "@corp@social.example" }
  support:
    network: mastodon
    handle: "@help@social.example"
)" +
        (support_endpoint.empty()
             ? std::string()
             : "    endpoint: " + support_endpoint +
                   "\n    credentials: { token: \"${env:HERALD_TEST_SUPPORT_TOKEN}\" }\n") +
        R"(people:
  eve: { roles: [support] }
  sam: { roles: [support] }
  mo: { roles: [marketing] }
workflows:
  reply:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: approve, plugin: approve, config: { role: support } }
      - { kind: publish, plugin: )" +
        (support_endpoint.empty() ? "outbox" : "mastodon") + R"( }
  fast:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: publish, plugin: )" +
        (support_endpoint.empty() ? "outbox" : "mastodon") + R"( }
inbound:
)" + inbound;
    HostOptions options;
    options.clock = make_virtual_clock(parse_time("2026-12-04T12:00:00Z", "")->utc_ms);
    options.resolve_secrets = true;
    auto host = Host::open(dir_.write("herald.yaml", yaml), options);
    EXPECT_TRUE(host) << host.status().message();
    return host ? std::move(*host) : nullptr;
  }

  Result<InboundImport> import(Host& host, const std::string& lines) {
    return host.import_mentions(
        dir_.write("mentions-" + std::to_string(++files_) + ".jsonl", lines));
  }

  static const MentionView& by_source(const std::vector<MentionView>& all, const std::string& id) {
    for (const MentionView& m : all)
      if (m.source_id == id) return m;
    throw std::runtime_error("no mention " + id);
  }

  TempDir dir_;
  int files_ = 0;
};

TEST_F(Inbound, TheInboxOrdersByTheConfiguredInfluenceFormulaAndShowsIt) {
  auto host = open(R"(  influence:
    followers_weight: 10
    engagement_weight: 5
    vip: ["@Partner"]
    vip_bonus: 100
)");
  ASSERT_TRUE(host);
  auto done =
      import(*host, R"({"id": "a", "network": "x", "author": "@small", "followers": 9, "text": "hi"}
{"id": "b", "network": "x", "author": "@big", "followers": 99999, "engagement": 9, "text": "hello"}
{"id": "c", "network": "x", "author": "@partner", "followers": 0, "text": "hey"}
{"id": "d", "network": "x", "author": "@mid", "followers": 999, "engagement": 99, "text": "yo"}
)");
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->inbox, 4);
  auto all = host->mentions();
  ASSERT_TRUE(all);
  std::vector<std::string> order;
  for (const MentionView& m : *all) order.push_back(m.source_id);
  // big: 10*5 + 5*1 = 55; mid: 30 + 10 = 40; small: 10; partner: 0 + 100 (VIP, any case).
  EXPECT_EQ(order, (std::vector<std::string>{"c", "b", "d", "a"}));
  EXPECT_NEAR(by_source(*all, "b").score, 55.0, 0.01);
  EXPECT_EQ(by_source(*all, "c").score_detail,
            "10 × log10(1 + 0 followers) + 5 × log10(1 + 0 engagements) + 100 (VIP) = 100");
}

TEST_F(Inbound, ModerationRulesDecideAndAnAbusiveMentionIsNeverAnswered) {
  auto host = open(R"(  moderation:
    - { name: slurs, words: [idiot], action: mute }
    - { name: phishing, patterns: ['(?i)free\s+crypto'], action: report }
    - { name: spam, words: [followback], action: ignore }
    - { name: repeat, repeat: { count: 2, days: 7 }, action: block }
  routes:
    - { name: support, words: [refund], account: support, workflow: reply, author: eve }
)");
  ASSERT_TRUE(host);
  auto first = import(
      *host,
      R"({"id": "1", "network": "x", "author": "@t", "at": "2026-12-01T10:00:00Z", "text": "you IDIOT, refund me"}
{"id": "2", "network": "x", "author": "@p", "text": "Free   Crypto inside"}
{"id": "3", "network": "x", "author": "@s", "text": "#followback pls"}
{"id": "4", "network": "x", "author": "@t", "at": "2026-12-02T10:00:00Z", "text": "idiots everywhere"}
{"id": "5", "network": "x", "author": "@t", "at": "2026-12-03T10:00:00Z", "text": "where is my refund?"}
{"id": "6", "network": "x", "author": "@ok", "text": "where is my refund?"}
)");
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(first->moderated, 3);
  EXPECT_EQ(first->answered, 2);
  auto all = *host->mentions();
  EXPECT_EQ(by_source(all, "1").action, "mute");  // the rule wins over the refund route
  EXPECT_NE(by_source(all, "1").rule.find("slurs"), std::string::npos);
  EXPECT_EQ(by_source(all, "2").action, "report");
  EXPECT_EQ(by_source(all, "3").action, "ignore");
  // "idiots" is not the whole word "idiot", and one earlier stop is below the repeat rule's 2.
  EXPECT_EQ(by_source(all, "4").action, "");
  EXPECT_EQ(by_source(all, "5").action, "answer");
  EXPECT_EQ(by_source(all, "6").action, "answer");
  for (const char* id : {"1", "2", "3"}) EXPECT_EQ(by_source(all, id).reply_post_id, 0) << id;

  // Two more stops within the week make @t a repeat offender; a stop eight days earlier does not
  // count for @old.
  auto second = import(
      *host,
      R"({"id": "7", "network": "x", "author": "@t", "at": "2026-12-04T09:00:00Z", "text": "idiot"}
{"id": "8", "network": "x", "author": "@t", "at": "2026-12-04T10:00:00Z", "text": "I want a refund"}
{"id": "9", "network": "x", "author": "@old", "at": "2026-11-20T10:00:00Z", "text": "idiot"}
{"id": "10", "network": "x", "author": "@old", "at": "2026-11-21T10:00:00Z", "text": "idiot"}
{"id": "11", "network": "x", "author": "@old", "at": "2026-12-04T10:00:00Z", "text": "refund please"}
)");
  ASSERT_TRUE(second) << second.status().message();
  all = *host->mentions();
  EXPECT_EQ(by_source(all, "8").action, "block");
  EXPECT_NE(by_source(all, "8").rule.find("2 earlier mentions stopped in 7 days"),
            std::string::npos)
      << by_source(all, "8").rule;
  EXPECT_EQ(by_source(all, "8").reply_post_id, 0);
  EXPECT_EQ(by_source(all, "11").action, "answer");
  // Importing the same file again adds nothing.
  auto again = import(
      *host,
      R"({"id": "7", "network": "x", "author": "@t", "at": "2026-12-04T09:00:00Z", "text": "idiot"}
)");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(again->added, 0);
}

TEST_F(Inbound, AComplaintBecomesAReplyPublishedOnTheSupportAccount) {
  testing::Netsim netsim(NETSIM);
  auto host = open(R"(  accounts: [corp_masto, corp_x]
  moderation:
    - { name: abuse, words: [moron], action: mute }
  routes:
    - name: refunds
      words: [refund]
      account: support
      workflow: reply
      fast_workflow: fast
      author: eve
      template: "{author} Sorry! We are on it: https://corp.example/help"
    - { name: other, words: [broken], account: support, workflow: reply, author: eve }
)",
                   netsim.url());
  ASSERT_TRUE(host);
  auto done = import(
      *host,
      R"({"id": "m1", "network": "mastodon", "author": "@kari@social.example", "text": "@corp I want a refund"}
{"id": "m2", "network": "mastodon", "author": "@lee@social.example", "text": "@corp my drone is broken"}
{"id": "m3", "network": "mastodon", "author": "@troll@bad.example", "text": "@corp moron, refund"}
)");
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->answered, 2);
  ASSERT_TRUE(host->run({}));
  auto all = *host->mentions();
  // The templated answer took the fast lane and is out; the other waits for support to write it.
  const MentionView& refund = by_source(all, "m1");
  EXPECT_EQ(refund.reply_state, "done");
  auto reply = host->post(refund.reply_post_id);
  EXPECT_EQ(reply->account, "support");
  EXPECT_EQ(reply->workflow, "fast");
  EXPECT_EQ(reply->text, "@kari@social.example Sorry! We are on it: https://corp.example/help");
  const MentionView& broken = by_source(all, "m2");
  EXPECT_EQ(broken.reply_state, "waiting");
  EXPECT_EQ(host->post(broken.reply_post_id)->text, "@lee@social.example ");
  // Sam (support) sees the draft waiting for him; Mo (marketing) does not.
  auto sam = host->mentions("sam");
  ASSERT_TRUE(sam);
  ASSERT_EQ(sam->size(), 1u);
  EXPECT_EQ(sam->front().source_id, "m2");
  EXPECT_TRUE(host->mentions("mo")->empty());
  ASSERT_TRUE(host->edit(broken.reply_post_id, "eve",
                         "@lee@social.example Sorry to hear that. A new one is on its way.",
                         "the answer"));
  ASSERT_TRUE(host->run({}));
  ASSERT_TRUE(host->approve(broken.reply_post_id, "sam", "ok"));
  ASSERT_TRUE(host->run({}));
  EXPECT_EQ(host->post(broken.reply_post_id)->state, "done");
  // The simulator has both replies and nothing for the troll.
  auto posts = netsim.get("/_netsim/posts?network=mastodon");
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  bool troll_answered = false, fast_reply = false, written_reply = false;
  for (const auto& p : posts) {
    std::string text = p["text"];
    troll_answered = troll_answered || text.find("@troll") != std::string::npos;
    fast_reply = fast_reply || text == reply->text;
    written_reply = written_reply || text.find("A new one is on its way") != std::string::npos;
  }
  EXPECT_TRUE(fast_reply) << posts.dump();
  EXPECT_TRUE(written_reply) << posts.dump();
  EXPECT_FALSE(troll_answered);
  EXPECT_EQ(by_source(all, "m3").action, "mute");
}

TEST_F(Inbound, MentionsFetchedFromMastodonAreTriagedOnceAndAnsweredInTheirThread) {
  testing::Netsim netsim(NETSIM);
  auto host = open(R"(  accounts: [support]
  moderation:
    - { name: abuse, words: [moron], action: ignore }
  routes:
    - name: refunds
      words: [refund]
      account: support
      workflow: fast
      author: eve
      template: "{author} Sorry! We are on it."
)",
                   netsim.url());
  ASSERT_TRUE(host);
  auto mention = [&](const std::string& author, const std::string& text, int followers) {
    return netsim.post("/_netsim/mentions", {{"to", kToken},
                                             {"author", author},
                                             {"text", text},
                                             {"followers", followers},
                                             {"favourites", 3}});
  };
  nlohmann::json refund = mention("kari@social.example", "I want a refund & <an> answer", 120);
  mention("troll@bad.example", "moron", 5);
  mention("ceo@news.example", "Nice launch", 90000);
  auto fetched = host->fetch_mentions();
  ASSERT_TRUE(fetched) << fetched.status().message();
  ASSERT_EQ(fetched->accounts.size(), 1u);
  const InboundImport& first = fetched->accounts[0].imported;
  EXPECT_EQ(first.added, 3);
  EXPECT_EQ(first.answered, 1);
  EXPECT_EQ(first.moderated, 1);
  EXPECT_EQ(first.inbox, 1);
  // The cursor moved on: a second fetch finds nothing; a new mention is the only one next time.
  auto again = host->fetch_mentions("support");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->accounts[0].imported.rows, 0);
  mention("lee@social.example", "Where is my refund?", 40);
  auto third = host->fetch_mentions();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->accounts[0].imported.rows, 1);
  EXPECT_EQ(third->accounts[0].imported.answered, 1);

  auto all = *host->mentions();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front().author, "@ceo@news.example");  // the most influential first
  const MentionView& kari = by_source(all, refund["status_id"].get<std::string>());
  EXPECT_EQ(kari.author, "@kari@social.example");
  EXPECT_EQ(kari.followers, 120);
  EXPECT_EQ(kari.engagement, 3);
  EXPECT_NE(kari.text.find("I want a refund & <an> answer"), std::string::npos) << kari.text;
  // The replies go out on the support account, each in the thread of its mention.
  ASSERT_TRUE(host->run({}));
  auto posts = netsim.get("/_netsim/posts?network=mastodon");
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  EXPECT_EQ(posts[0]["text"], "@kari@social.example Sorry! We are on it.");
  EXPECT_EQ(posts[0]["record"]["in_reply_to_id"], kari.source_id);
  EXPECT_EQ(host->post(kari.reply_post_id)->state, "done");
}

/// netsim's id for a handle (its user_id()).
std::string netsim_user(const std::string& handle) {
  return std::to_string(std::hash<std::string>{}(handle) % 1000000007);
}

TEST_F(Inbound, MutesBlocksAndReportsAreSentToTheNetworkAndRetriedUntilItAnswers) {
  testing::Netsim netsim(NETSIM);
  auto host = open(R"(  moderation:
    - { name: abuse, words: [moron], action: mute }
    - { name: threats, words: [hurt], action: block }
    - { name: phishing, patterns: ['free\s+crypto'], action: report }
    - { name: noise, words: [meh], action: ignore }
)",
                   netsim.url());
  ASSERT_TRUE(host);
  // Mastodon does not answer the first call: nothing is lost, it is all sent next time.
  netsim.post("/_netsim/faults", {{"kind", "5xx"}, {"network", "mastodon"}, {"count", 1}});
  auto done = import(
      *host,
      R"({"id": "901", "network": "mastodon", "account": "support", "author": "@troll@bad.example", "text": "moron"}
{"id": "902", "network": "mastodon", "account": "support", "author": "@bully@bad.example", "text": "I will hurt you"}
{"id": "903", "network": "mastodon", "account": "support", "author": "@spam@bad.example", "text": "free crypto here"}
{"id": "904", "network": "mastodon", "account": "support", "author": "@bored@ok.example", "text": "meh"}
{"id": "905", "network": "x", "author": "@xtroll", "text": "moron"}
)");
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->moderated, 5);
  EXPECT_EQ(done->moderation.sent, 0);
  EXPECT_EQ(done->moderation.later, 3);        // the first failed; the others wait with it
  EXPECT_EQ(done->moderation.not_offered, 1);  // X is published with the outbox here
  EXPECT_EQ(netsim.get("/_netsim/moderation").size(), 0u);
  auto all = *host->mentions();
  EXPECT_EQ(by_source(all, "901").moderation, "pending");
  EXPECT_EQ(by_source(all, "904").moderation, "");  // ignore: nothing to send
  EXPECT_EQ(by_source(all, "905").moderation, "not offered");
  EXPECT_NE(by_source(all, "905").moderation_note.find("no workflow publishes with a x publisher"),
            std::string::npos);

  auto sent = host->send_moderation();
  ASSERT_TRUE(sent) << sent.status().message();
  EXPECT_EQ(sent->sent, 3);
  EXPECT_EQ(sent->later, 0);
  nlohmann::json log = netsim.get("/_netsim/moderation");
  ASSERT_EQ(log.size(), 3u) << log.dump();
  EXPECT_EQ(log[0]["action"], "mute");
  EXPECT_EQ(log[0]["target"], netsim_user("troll@bad.example"));
  EXPECT_EQ(log[0]["by"], netsim_user(kToken));  // from the support account
  EXPECT_EQ(log[1]["action"], "block");
  EXPECT_EQ(log[1]["target"], netsim_user("bully@bad.example"));
  EXPECT_EQ(log[2]["action"], "report");
  EXPECT_EQ(log[2]["target"], netsim_user("spam@bad.example"));
  EXPECT_EQ(log[2]["detail"]["status_ids"], nlohmann::json::array({"903"}));
  EXPECT_EQ(log[2]["detail"]["comment"], "moderation 'phishing' (matched \"free crypto\")");
  all = *host->mentions();
  EXPECT_EQ(by_source(all, "901").moderation, "sent");
  EXPECT_EQ(by_source(all, "903").moderation, "sent");
  // Sent once: nothing is pending any more.
  EXPECT_EQ(host->send_moderation()->sent, 0);
  EXPECT_EQ(netsim.get("/_netsim/moderation").size(), 3u);

  // The process stopped while a report and a mute were out (their state says "sending"): the
  // mute is sent again (it sets a relationship), the report is not (it may have arrived).
  auto crashed = import(
      *host,
      R"({"id": "907", "network": "mastodon", "account": "support", "author": "@troll2@bad.example", "text": "moron"}
{"id": "908", "network": "mastodon", "account": "support", "author": "@spam2@bad.example", "text": "free crypto"}
)");
  ASSERT_TRUE(crashed) << crashed.status().message();
  ASSERT_EQ(netsim.get("/_netsim/moderation").size(), 5u);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(host->store_location().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "UPDATE mentions SET moderation = 'sending' WHERE source_id IN ('907', "
                           "'908')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto resumed = host->send_moderation();
  ASSERT_TRUE(resumed) << resumed.status().message();
  EXPECT_EQ(resumed->sent, 1);
  EXPECT_EQ(resumed->unknown, 1);
  log = netsim.get("/_netsim/moderation");
  ASSERT_EQ(log.size(), 6u) << log.dump();
  EXPECT_EQ(log[5]["action"], "mute");
  EXPECT_EQ(by_source(*host->mentions(), "908").moderation, "unknown");
  EXPECT_NE(by_source(*host->mentions(), "908").moderation_note.find("not sent again"),
            std::string::npos);

  // An account the network does not know is refused, for good, and says so.
  auto unknown = import(
      *host,
      R"({"id": "906", "network": "mastodon", "account": "support", "author": "@nobody@gone.example", "text": "moron"})");
  ASSERT_TRUE(unknown) << unknown.status().message();
  EXPECT_EQ(unknown->moderation.refused, 1);
  EXPECT_NE(by_source(*host->mentions(), "906").moderation_note.find("HTTP 404"), std::string::npos)
      << by_source(*host->mentions(), "906").moderation_note;
}

TEST(InboundX, MentionsFetchedFromXAreAnsweredInTheirThreadOnce) {
  testing::Netsim netsim(NETSIM);
  setenv("HERALD_TEST_X_HELP_TOKEN", "x-help-token", 1);
  TempDir dir;
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  help_x:
    network: x
    handle: "@help"
    endpoint: )" + netsim.url() +
                     R"(
    credentials: { token: "${env:HERALD_TEST_X_HELP_TOKEN}" }
people: { eve: { roles: [support] } }
workflows:
  fast:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: publish, plugin: x }
inbound:
  accounts: [help_x]
  moderation: [{ name: abuse, words: [moron], action: block }]
  routes:
    - { name: refunds, words: [refund], account: help_x, workflow: fast, author: eve,
        template: "{author} Sorry! We are on it." }
)";
  HostOptions options;
  options.clock = make_virtual_clock(parse_time("2026-12-04T12:00:00Z", "")->utc_ms);
  options.resolve_secrets = true;
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  auto mention = [&](const std::string& author, const std::string& text, int followers) {
    return netsim.post("/_netsim/mentions", {{"network", "x"},
                                             {"to", "x-help-token"},
                                             {"author", author},
                                             {"text", text},
                                             {"followers", followers},
                                             {"favourites", 2}});
  };
  nlohmann::json refund = mention("kari", "I want a refund", 300);
  mention("troll", "moron", 1);
  auto fetched = host.fetch_mentions();
  ASSERT_TRUE(fetched) << fetched.status().message();
  EXPECT_EQ(fetched->accounts[0].imported.added, 2);
  EXPECT_EQ(fetched->accounts[0].imported.answered, 1);
  EXPECT_EQ(fetched->accounts[0].imported.moderated, 1);
  EXPECT_EQ(host.fetch_mentions()->accounts[0].imported.rows, 0);  // nothing new
  // The troll is blocked on X too, by the help account.
  EXPECT_EQ(fetched->accounts[0].imported.moderation.sent, 1);
  nlohmann::json blocked = netsim.get("/_netsim/moderation");
  ASSERT_EQ(blocked.size(), 1u) << blocked.dump();
  EXPECT_EQ(blocked[0]["action"], "block");
  EXPECT_EQ(blocked[0]["network"], "x");
  EXPECT_EQ(blocked[0]["target"], netsim_user("troll"));
  EXPECT_EQ(blocked[0]["by"], netsim_user("x-help-token"));
  auto all = *host.mentions();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.front().author, "@kari");
  EXPECT_EQ(all.front().followers, 300);
  EXPECT_EQ(all.front().source_id, refund["id"]);
  ASSERT_TRUE(host.run({}));
  nlohmann::json posts = netsim.get("/_netsim/posts?network=x");
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["text"], "@kari Sorry! We are on it.");
  EXPECT_EQ(posts[0]["record"]["in_reply_to_tweet_id"], refund["id"]);
}

TEST(InboundBluesky, RepliesAreMadeInTheThreadOfTheMentionUnderItsRoot) {
  testing::Netsim netsim(NETSIM);
  setenv("HERALD_TEST_SKY_FAN", "fan-app-password", 1);
  setenv("HERALD_TEST_SKY_HELP", "help-app-password", 1);
  TempDir dir;
  std::string yaml =
      std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
accounts:
  fan: { network: bluesky, handle: fan.netsim.test, endpoint: )" +
      netsim.url() + R"(, credentials: { app_password: "${env:HERALD_TEST_SKY_FAN}" } }
  help: { network: bluesky, handle: help.netsim.test, endpoint: )" +
      netsim.url() + R"(, credentials: { app_password: "${env:HERALD_TEST_SKY_HELP}" } }
people: { eve: {} }
workflows:
  plain:
    steps: [ { kind: publish, plugin: bluesky } ]
inbound:
  accounts: [help]
  routes:
    - { words: [refund], account: help, workflow: plain, author: eve,
        template: "{author} Sorry! Send us your order number." }
)";
  HostOptions options;
  options.clock = make_virtual_clock(parse_time("2026-12-04T12:00:00Z", "")->utc_ms);
  auto opened = Host::open(dir.write("herald.yaml", yaml), options);
  ASSERT_TRUE(opened) << opened.status().message();
  Host& host = **opened;
  // A customer's post on Bluesky mentions the company: the mention, at its at:// uri.
  auto fan_post = host.submit({"plain", "fan", "eve", "@help.netsim.test I need a refund", {}, ""});
  ASSERT_TRUE(fan_post) << fan_post.status().message();
  ASSERT_TRUE(host.run({}));
  const std::string mention_uri = host.post(*fan_post)->remote_id;
  ASSERT_EQ(mention_uri.rfind("at://", 0), 0u) << mention_uri;
  auto line = [](const std::string& id, const std::string& text) {
    return nlohmann::json{
               {"id", id}, {"network", "bluesky"}, {"author", "@fan.netsim.test"}, {"text", text}}
               .dump() +
           "\n";
  };
  auto first = host.import_mentions(dir.write("m1.jsonl", line(mention_uri, "I need a refund")));
  ASSERT_TRUE(first) << first.status().message();
  ASSERT_EQ(first->answered, 1);
  ASSERT_TRUE(host.run({}));
  nlohmann::json records = netsim.get("/_netsim/posts?network=bluesky");
  ASSERT_EQ(records.size(), 2u) << records.dump();
  const nlohmann::json reply = records[1]["record"];  // a copy: records is read again below
  EXPECT_EQ(reply["text"], "@fan.netsim.test Sorry! Send us your order number.");
  EXPECT_EQ(reply["reply"]["parent"]["uri"], mention_uri);
  EXPECT_EQ(reply["reply"]["root"]["uri"], mention_uri);  // a post that starts its thread
  EXPECT_FALSE(reply["reply"]["parent"]["cid"].get<std::string>().empty());

  // A mention deeper in a thread (here: the reply itself) is answered under the thread's root.
  const std::string reply_uri = records[1]["id"];
  auto second =
      host.import_mentions(dir.write("m2.jsonl", line(reply_uri, "still no refund, anyone?")));
  ASSERT_TRUE(second) << second.status().message();
  ASSERT_TRUE(host.run({}));
  records = netsim.get("/_netsim/posts?network=bluesky");
  ASSERT_EQ(records.size(), 3u) << records.dump();
  EXPECT_EQ(records[2]["record"]["reply"]["parent"]["uri"], reply_uri);
  EXPECT_EQ(records[2]["record"]["reply"]["root"]["uri"], mention_uri);
  EXPECT_EQ(records[2]["record"]["reply"]["root"]["cid"], reply["reply"]["root"]["cid"]);
}

TEST_F(Inbound, FetchingNeedsAPublisherThatFetches) {
  auto host = open("  accounts: [corp_x]\n");  // X: published with the outbox here
  ASSERT_TRUE(host);
  auto fetched = host->fetch_mentions();
  ASSERT_TRUE(fetched) << fetched.status().message();
  ASSERT_EQ(fetched->accounts.size(), 1u);
  EXPECT_NE(fetched->accounts[0].note.find("no workflow publishes with a x publisher"),
            std::string::npos)
      << fetched->accounts[0].note;
  EXPECT_EQ(host->fetch_mentions("nobody").status().code(), ErrorCode::not_found);
}

TEST_F(Inbound, MentionsGoThroughTheInboundStepsInOrderUntilOneDecides) {
  // A company's own steps (inbound_fixture, a real shared library) among the built-in ones.
  auto host = open(R"(  steps:
    - plugin: inbound/influence
    - plugin: inbound_fixture/customers
      config: { handles: ["@bigco"] }
    - plugin: inbound/moderation
      config: { rules: [ { name: abuse, words: [moron], action: mute } ] }
    - { name: strict, plugin: inbound_fixture/strict }
    - plugin: inbound_fixture/answer
      config: { account: support, workflow: fast }
)");
  ASSERT_TRUE(host);
  std::vector<StepDescription> steps = host->inbound_steps();
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[1].plugin, "inbound_fixture/customers");
  EXPECT_EQ(steps[2].name, "moderation");
  EXPECT_EQ(steps[3].name, "strict");

  auto done = import(
      *host,
      R"({"id": "1", "network": "mastodon", "author": "@bigco", "followers": 10, "text": "@corp hello"}
{"id": "2", "network": "mastodon", "author": "@star", "followers": 100000, "text": "@corp hi"}
{"id": "3", "network": "mastodon", "author": "@troll", "followers": 1000, "text": "@corp moron"}
)");
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->added, 3);
  EXPECT_EQ(done->answered, 2);
  EXPECT_EQ(done->moderated, 1);
  auto all = host->mentions();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  // The customer's bonus (a step after influence) puts them first: 10.4 + 50 > 50 > 30.
  EXPECT_EQ((*all)[0].author, "@bigco");
  EXPECT_NE((*all)[0].score_detail.find("10 followers) + "), std::string::npos);
  EXPECT_NE((*all)[0].score_detail.find("+ customer bonus"), std::string::npos);
  EXPECT_EQ((*all)[1].author, "@star");
  // Moderation decided the troll: the steps after it (the one that answers all) did not run.
  const MentionView& troll = by_source(*all, "3");
  EXPECT_EQ(troll.action, "mute");
  EXPECT_EQ(troll.rule, "moderation 'abuse' (matched \"moron\")");
  EXPECT_EQ(troll.reply_post_id, 0);
  // The others were answered by the last step, with a draft stored with the mention.
  const MentionView& star = by_source(*all, "2");
  EXPECT_EQ(star.action, "answer");
  EXPECT_EQ(star.rule, "answer (every mention)");
  auto reply = host->post(star.reply_post_id);
  ASSERT_TRUE(reply) << reply.status().message();
  EXPECT_EQ(reply->account, "support");
  EXPECT_EQ(reply->workflow, "fast");
  EXPECT_EQ(reply->author, "eve");
  EXPECT_EQ(reply->text, "@star thanks!");
  EXPECT_EQ(reply->tags, (std::vector<std::string>{"reply", "inbound", "reply-to:2", "fixture"}));
  EXPECT_EQ(host->posts()->size(), 2u);

  // A step that fails stops the import: nothing of it is stored, no mention and no reply.
  auto failed =
      import(*host, R"({"id": "4", "network": "mastodon", "author": "@a", "text": "@corp hello"}
{"id": "5", "network": "mastodon", "author": "@b", "text": "@corp boom"}
)");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.status().code(), ErrorCode::plugin);
  EXPECT_NE(failed.status().message().find("inbound step 'strict' (inbound_fixture/strict) on the "
                                           "mention by @b: the sentiment service is down; "
                                           "nothing was imported"),
            std::string::npos)
      << failed.status().message();
  // A step that sets an action that is not one is refused, and says why.
  auto loud =
      import(*host, R"({"id": "6", "network": "mastodon", "author": "@c", "text": "shout"})");
  ASSERT_FALSE(loud);
  EXPECT_NE(loud.status().message().find("action must be ignore, mute, block or report, got "
                                         "'shout'"),
            std::string::npos)
      << loud.status().message();
  EXPECT_EQ(host->mentions()->size(), 3u);
  EXPECT_EQ(host->posts()->size(), 2u);
}

TEST_F(Inbound, ABadLineImportsNothingAndSaysWhere) {
  auto host = open("  moderation: [ { words: [x], action: mute } ]\n");
  ASSERT_TRUE(host);
  auto done =
      import(*host,
             "{\"network\": \"x\", \"author\": \"@a\", \"text\": \"ok\"}\n"
             "{\"network\": \"x\", \"author\": \"@b\", \"followers\": -3, \"text\": \"hi\"}\n");
  ASSERT_FALSE(done);
  EXPECT_NE(
      done.status().message().find("mentions-1.jsonl:2: \"followers\" must be a whole number"),
      std::string::npos)
      << done.status().message();
  EXPECT_NE(done.status().message().find("nothing was imported"), std::string::npos);
  EXPECT_TRUE(host->mentions()->empty());
  auto unknown =
      import(*host, "{\"network\": \"linkedin\", \"author\": \"@a\", \"text\": \"ok\"}\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.status().message().find("no inbound account on linkedin"), std::string::npos);
}

TEST_F(Inbound, BadInboundConfigurationsSayFileLineAndWhat) {
  struct Case {
    std::string yaml, expected;
  };
  for (const Case& c : std::vector<Case>{
           {"  moderation: [ { patterns: ['(a'], action: mute } ]\n", "not a valid RE2 pattern"},
           {"  moderation: [ { words: [x], action: shout } ]\n", "unknown action 'shout'"},
           {"  moderation: [ { action: mute } ]\n", "needs `words`, `patterns` or `repeat`"},
           {"  routes: [ { words: [x], account: support, workflow: replies } ]\n",
            "unknown workflow 'replies'"},
           {"  routes: [ { words: [x], account: support, workflow: reply, author: ghost } ]\n",
            "unknown person 'ghost'"},
           {"  influence: { folowers_weight: 2 }\n", "did you mean 'followers_weight'?"},
           {"  steps: [ { plugin: inbound/influence } ]\n  routes: []\n",
            "`routes` is the short form of a built-in step"},
           {"  steps: [ { plugin: outbox } ]\n", "inbound"},
           {"  steps: [ { plugin: inbound/moderaton } ]\n", "did you mean 'moderation'?"},
           {"  steps: [ { plugin: inbound/route, config: { routes: [ { words: [x], account: "
            "support, workflow: reply, author: ghost } ] } } ]\n",
            "(inbound.steps[0].config.routes[0].author): plugin inbound refused this "
            "configuration: unknown person 'ghost'"},
       }) {
    dir_.write("herald.yaml", "");
    HostOptions options;
    std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                       "]\naccounts: { support: { network: outbox } }\npeople: { eve: {} }\n"
                       "workflows: { reply: { steps: [ { kind: publish, plugin: outbox } ] } }\n"
                       "inbound:\n" +
                       c.yaml;
    auto host = Host::open(dir_.write("bad.yaml", yaml), options);
    ASSERT_FALSE(host) << c.expected;
    EXPECT_NE(host.status().message().find(c.expected), std::string::npos)
        << host.status().message();
    EXPECT_NE(host.status().message().find("bad.yaml:"), std::string::npos);
  }
}

}  // namespace
}  // namespace herald
