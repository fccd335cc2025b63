// Approval chains, legal review and the audit chain, through the embedding API on a virtual
// clock: what a company's approvers, lawyers and auditors would see.
#include <herald/host.hpp>

#include "support/test_support.hpp"
#include "text/csv.hpp"
#include "time/time.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace herald {
namespace {

constexpr const char* kRules = R"(rules:
  - name: forward-looking
    pattern: '(?i)\b(we (expect|forecast)|guidance)\b'
    severity: review
    message: Forward-looking statement; needs the safe-harbour wording.
  - name: runaway
    # (a+)+$ takes exponential time in a backtracking engine on "aaaa...a!"; RE2 is linear.
    pattern: '(a+)+$'
    severity: review
    message: A line of a's at the end.
    networks: [x]
  - name: competitors
    words: [Globex, Initech]
    severity: warn
    message: Names a competitor.
  - name: insider
    words: [merger]
    severity: block
    message: Never announce deals before the filing.
disclaimers:
  - when: { tag: sponsored }
    text: "#ad"
)";

constexpr const char* kTemplates = R"(templates:
  - name: refund
    text: "Hi {name}, we have refunded order {order:[0-9]{4,10}}. Sorry about that!"
)";

std::string late_workflows() {
  std::string out;
  for (const char* policy : {"hold", "expire", "escalate", "publish"}) {
    out += std::string("  late_") + policy + ":\n    steps:\n      - kind: approve\n" +
           "        plugin: approve\n        config:\n          stages:\n" +
           "            - { name: marketing, roles: [marketing], deadline: 2h, on_late: " + policy +
           (std::string(policy) == "escalate" ? ", escalate_to: executive" : "") + " }\n" +
           "      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }\n";
  }
  return out;
}

std::string config_yaml() {
  return R"(herald: 1
store: { path: governance.db }
accounts:
  corp: { network: x, handle: "@corp" }
  support: { network: x, handle: "@corp_help" }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  li: { roles: [marketing] }
  cy: { roles: [analyst] }
  di: { roles: [analyst] }
  ed: { roles: [analyst] }
  vp: { roles: [executive] }
  grace: { roles: [legal] }
  hal: { roles: [legal] }
  gc: { roles: [general_counsel] }
  zed: { roles: [] }
teams:
  compliance: [cy, di, ed]
notifiers:
  down: { plugin: notify/webhook, config: { url: "http://127.0.0.1:9/never", timeout_seconds: 1 } }
workflows:
  one:
    steps:
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  terminal:
    steps:
      - { kind: approve, plugin: approve, config: { role: marketing, on_reject: terminal } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  bank:
    steps:
      - kind: draft
        plugin: draft/length
      - kind: approve
        plugin: approve
        config:
          stages:
            - { name: marketing, roles: [marketing] }
            - { name: compliance, teams: [compliance], quorum: 2 of 3 }
            - { name: legal, people: [grace, hal], quorum: all }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  launch:
    steps:
      - kind: approve
        plugin: approve
        config:
          stages:
            - { name: marketing, roles: [marketing] }
            - { name: executive, roles: [executive], when: { tag: launch } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  four:
    steps:
      - kind: approve
        plugin: approve
        config:
          stages:
            - { name: s1, roles: [marketing] }
            - { name: s2, teams: [compliance] }
            - { name: s3, people: [grace] }
            - { name: s4, roles: [executive] }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)" + late_workflows() +
         R"(  legal:
    steps:
      - kind: legal_review
        plugin: legal_review
        config: { rules: rules.yaml, deadline: 4h, on_late: escalate, escalate_to: general_counsel }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  escalate_unreachable:
    steps:
      - kind: approve
        plugin: approve
        config:
          notifier: down
          stages:
            - { name: marketing, roles: [marketing], deadline: 2h, on_late: escalate, escalate_to: executive }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  screened_when:
    steps:
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - kind: legal_review
        plugin: legal_review
        when: { tag: legalcheck }
        config: { rules: rules.yaml }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  screened_templates:
    steps:
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: legal_review, plugin: legal_review, config: { keywords: [refund], templates: templates.yaml } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  screened:
    steps:
      - { kind: approve, plugin: approve, config: { role: marketing } }
      - { kind: legal_review, plugin: legal_review, config: { rules: rules.yaml } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  support:
    steps:
      - kind: approve
        plugin: approve
        config: { role: marketing, templates: templates.yaml }
      - kind: legal_review
        plugin: legal_review
        config: { keywords: [refund], templates: templates.yaml }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";
}

class Governance : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("rules.yaml", kRules);
    dir_.write("templates.yaml", kTemplates);
    config_ = dir_.write("company.yaml", config_yaml());
    start_ = parse_time("2026-11-30T08:00:00Z", "UTC")->utc_ms;
    HostOptions options;
    options.clock = make_virtual_clock(start_);
    auto host = Host::open(config_, options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }
  int64_t submit(const std::string& workflow, const std::string& text,
                 std::vector<std::string> tags = {}, const std::string& author = "ana",
                 const std::string& account = "corp") {
    auto id = host_->submit({workflow, account, author, text, std::move(tags), ""});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  PostView post(int64_t id) { return *host_->post(id); }
  /// Runs until nothing is due now (the clock does not move).
  void run_now() {
    RunOptions options;
    options.until_ms = host_->clock().now_ms();
    auto summary = host_->run(options);
    ASSERT_TRUE(summary) << summary.status().message();
  }
  /// Runs, letting virtual time pass until `at`.
  void run_until(int64_t at) {
    RunOptions options;
    options.until_ms = at;
    ASSERT_TRUE(host_->run(options));
  }
  /// The comments of a post's events of one type, as the store keeps them.
  std::vector<std::string> event_comments(int64_t id, const std::string& type) {
    std::vector<std::string> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(dir_.file("governance.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "SELECT comment FROM events WHERE post_id = " + std::to_string(id) +
                            " AND type = '" + type + "' ORDER BY id";
    sqlite3_exec(
        db, sql.c_str(),
        [](void* into, int, char** values, char**) {
          static_cast<std::vector<std::string>*>(into)->push_back(values[0]);
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }
  void approve(int64_t id, const std::string& who, const std::string& stage = "") {
    Status s = host_->approve(id, who, "ok", stage);
    ASSERT_TRUE(s) << s.message();
    run_now();
  }
  std::string audit_text(int64_t id) {
    std::string all;
    Result<std::vector<AuditRecord>> records = host_->audit(id);
    if (!records) return records.status().message();
    for (const AuditRecord& r : *records)
      all += r.actor + " " + r.action + " " + r.step + ": " + r.detail + "\n";
    return all;
  }

  testing::TempDir dir_;
  std::string config_;
  int64_t start_ = 0;
  std::unique_ptr<Host> host_;
};

constexpr int64_t kHour = 3'600'000;

TEST_F(Governance, OneStageAnyApproverPublishes) {
  int64_t id = submit("one", "Hello from the chain");
  run_now();
  EXPECT_EQ(post(id).state, "waiting");
  EXPECT_EQ(post(id).stage, "marketing");
  approve(id, "li");
  EXPECT_EQ(post(id).state, "done");
  EXPECT_NE(audit_text(id).find("approved: marketing: li"), std::string::npos) << audit_text(id);
}

TEST_F(Governance, BankChainRunsStagesInOrderWithEachQuorum) {
  int64_t id = submit("bank", "Our savings rate is now 3.1%.");
  run_now();
  EXPECT_EQ(post(id).stage, "marketing");
  // A compliance analyst cannot approve while the post is at the marketing stage.
  EXPECT_EQ(host_->approve(id, "cy", "", "").code(), ErrorCode::permission_denied);
  approve(id, "mo");
  EXPECT_EQ(post(id).stage, "compliance");
  Status wrong_stage = host_->approve(id, "cy", "", "marketing");
  EXPECT_EQ(wrong_stage.code(), ErrorCode::failed_precondition);
  EXPECT_NE(wrong_stage.message().find("at stage 'compliance'"), std::string::npos);
  approve(id, "cy", "compliance");
  EXPECT_EQ(post(id).stage, "compliance") << "2 of 3 needs a second analyst";
  EXPECT_NE(post(id).reason.find("needs 1 more approval"), std::string::npos) << post(id).reason;
  Status twice = host_->approve(id, "cy", "", "");
  EXPECT_EQ(twice.code(), ErrorCode::failed_precondition) << "the same person counts once";
  approve(id, "ed");
  EXPECT_EQ(post(id).stage, "legal");
  approve(id, "hal");
  EXPECT_EQ(post(id).state, "waiting") << "quorum all: grace must approve too";
  approve(id, "grace");
  EXPECT_EQ(post(id).state, "done");
  std::string trail = audit_text(id);
  EXPECT_NE(trail.find("marketing: mo; compliance: cy, ed; legal: hal, grace"), std::string::npos)
      << trail;
}

TEST_F(Governance, FourStagesInOrder) {
  int64_t id = submit("four", "Four sign-offs");
  run_now();
  for (const char* who : {"li", "di", "grace", "vp"}) {
    EXPECT_EQ(post(id).state, "waiting") << who;
    approve(id, who);
  }
  EXPECT_EQ(post(id).state, "done");
}

TEST_F(Governance, ConditionalStageAppliesOnlyToMatchingPosts) {
  int64_t plain = submit("launch", "A plain update");
  int64_t launch = submit("launch", "Rocket ships today", {"launch"});
  run_now();
  approve(plain, "mo");
  approve(launch, "mo");
  EXPECT_EQ(post(plain).state, "done");
  EXPECT_NE(audit_text(plain).find("stages not needed: executive"), std::string::npos);
  EXPECT_EQ(post(launch).stage, "executive");
  approve(launch, "vp");
  EXPECT_EQ(post(launch).state, "done");
}

TEST_F(Governance, AuthorNeverApprovesEvenThroughADelegation) {
  int64_t id = submit("one", "Written by marketing", {}, "mo");
  run_now();
  Status own = host_->approve(id, "mo", "", "");
  EXPECT_EQ(own.code(), ErrorCode::permission_denied);
  EXPECT_NE(own.message().find("four eyes"), std::string::npos);
  ASSERT_TRUE(host_->delegate("li", "mo", start_ + 24 * kHour));
  Status via = host_->approve(id, "mo", "", "");
  EXPECT_EQ(via.code(), ErrorCode::permission_denied) << via.message();
}

TEST_F(Governance, AnEditVoidsApprovalsAndGoesBackThroughTheChain) {
  int64_t id = submit("bank", "Rates are up.");
  run_now();
  approve(id, "mo");
  ASSERT_EQ(post(id).stage, "compliance");
  Status not_author = host_->edit(id, "li", "Rates are up again.", "");
  EXPECT_EQ(not_author.code(), ErrorCode::permission_denied);
  ASSERT_TRUE(host_->edit(id, "ana", "Rates are up 0.2 points.", "precise number"));
  EXPECT_EQ(post(id).revision, 2);
  run_now();
  EXPECT_EQ(post(id).stage, "marketing") << "mo's approval saw the old text";
  EXPECT_NE(audit_text(id).find("approvals and legal decisions on revision 1 no longer count"),
            std::string::npos);
  auto revisions = host_->revisions(id);
  ASSERT_TRUE(revisions);
  ASSERT_EQ(revisions->size(), 1u);
  EXPECT_EQ((*revisions)[0].text, "Rates are up.");
  EXPECT_EQ((*revisions)[0].reason, "precise number");
  approve(id, "mo");
  EXPECT_EQ(post(id).stage, "compliance");
}

TEST_F(Governance, RejectSendsBackForRevisionOrEnds) {
  int64_t revise = submit("one", "Draft one");
  int64_t terminal = submit("terminal", "Draft two");
  run_now();
  EXPECT_EQ(host_->reject(revise, "li", "", "").code(), ErrorCode::invalid_argument)
      << "a reason is required";
  ASSERT_TRUE(host_->reject(revise, "li", "say when", ""));
  ASSERT_TRUE(host_->reject(terminal, "li", "off brand", ""));
  run_now();
  EXPECT_EQ(post(terminal).state, "rejected");
  PostView back = post(revise);
  EXPECT_EQ(back.state, "held");
  EXPECT_EQ(back.step_index, 0);
  EXPECT_NE(back.reason.find("say when"), std::string::npos);
  auto inbox = host_->inbox("ana");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].actions, std::vector<std::string>{"edit"});
  ASSERT_TRUE(host_->edit(revise, "ana", "Draft one, out Monday", "added the day"));
  run_now();
  EXPECT_EQ(post(revise).state, "waiting");
  approve(revise, "li");
  EXPECT_EQ(post(revise).state, "done") << "li's rejection was of revision 1";
}

TEST_F(Governance, LatePolicies) {
  int64_t hold = submit("late_hold", "Hold me");
  int64_t expire = submit("late_expire", "Expire me");
  int64_t escalate = submit("late_escalate", "Escalate me");
  int64_t publish = submit("late_publish", "Publish me");
  run_now();
  EXPECT_EQ(post(hold).wake_ms, start_ + 2 * kHour);
  run_until(start_ + 3 * kHour);
  EXPECT_EQ(post(hold).state, "held");
  EXPECT_NE(post(hold).reason.find("late"), std::string::npos);
  approve(hold, "mo");
  EXPECT_EQ(post(hold).state, "done") << "a late post can still be approved";
  EXPECT_EQ(post(expire).state, "rejected");
  EXPECT_NE(post(expire).reason.find("expired"), std::string::npos);
  EXPECT_EQ(post(publish).state, "done");
  EXPECT_NE(audit_text(publish).find("going ahead without it"), std::string::npos);
  EXPECT_EQ(post(escalate).state, "waiting");
  EXPECT_NE(post(escalate).reason.find("escalated to role executive"), std::string::npos)
      << post(escalate).reason;
  auto inbox = host_->inbox("vp");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].post.id, escalate);
  approve(escalate, "vp");
  EXPECT_EQ(post(escalate).state, "done");
}

TEST_F(Governance, AnEscalationTellsTheApproversAndItsTargetsOnceEach) {
  int64_t escalate = submit("late_escalate", "Escalate me");
  run_now();
  const std::string notes = (dir_.path() / "outbox" / "share-requests.jsonl").string();
  EXPECT_FALSE(std::filesystem::exists(notes)) << "nobody is told before the deadline";
  run_until(start_ + 3 * kHour);
  run_until(start_ + 5 * kHour);  // more rounds of the same waiting post tell nobody again
  std::map<std::string, std::string> told;  // person -> as
  std::istringstream lines(testing::read_file(notes));
  for (std::string line; std::getline(lines, line);) {
    auto note = nlohmann::json::parse(line);
    EXPECT_EQ(note["event"], "escalated");
    EXPECT_EQ(note["post"], escalate);
    EXPECT_EQ(note["escalated"], "stage marketing");
    EXPECT_TRUE(told.emplace(note["to"], note["as"]).second) << "told twice: " << line;
  }
  EXPECT_EQ(told, (std::map<std::string, std::string>{
                      {"li", "approver"}, {"mo", "approver"}, {"vp", "escalate_to"}}));
  EXPECT_EQ(event_comments(escalate, "notified"),
            std::vector<std::string>{"escalation of stage marketing: mo, li, vp"});
}

TEST_F(Governance, ANotifierThatIsDownNeitherFailsThePostNorStopsItsApproval) {
  int64_t id = submit("escalate_unreachable", "Escalate me while chat is down");
  run_now();
  for (int hours = 3; hours <= 12; ++hours) run_until(start_ + hours * kHour);
  PostView waiting = post(id);
  EXPECT_EQ(waiting.state, "waiting") << waiting.reason;
  EXPECT_NE(waiting.reason.find("escalated to role executive"), std::string::npos)
      << waiting.reason;
  EXPECT_NE(waiting.reason.find("the escalation notice to mo waits"), std::string::npos)
      << waiting.reason;
  approve(id, "vp");  // escalate_to may approve while the notice waits
  EXPECT_EQ(post(id).state, "done") << post(id).reason;
}

TEST_F(Governance, AnEditThatIsEscalatedAgainTellsEveryoneAgain) {
  int64_t id = submit("late_escalate", "Escalate me");
  run_now();
  run_until(start_ + 3 * kHour);
  ASSERT_TRUE(host_->edit(id, "ana", "Escalate me, edited", "a new revision"));
  run_now();
  run_until(start_ + 6 * kHour);
  const std::string notes = (dir_.path() / "outbox" / "share-requests.jsonl").string();
  EXPECT_EQ(testing::count_lines(testing::read_file(notes)), 6u)
      << "mo, li and vp, once for each revision";
}

TEST_F(Governance, LegalStepsThatWillNotRunShowNothingBeforeApproval) {
  int64_t conditional = submit("screened_when", "The merger is done");  // no legalcheck tag
  int64_t templated =
      submit("screened_templates", "Hi Bob, we have refunded order 123456. Sorry about that!");
  int64_t keyword = submit("screened_templates", "Ask us for a refund");
  run_now();
  auto inbox = host_->inbox("mo");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 3u);
  for (const InboxItem& item : *inbox) {
    if (item.post.id == conditional || item.post.id == templated) {
      EXPECT_TRUE(item.findings.empty()) << item.post.id << ": " << item.findings.front();
    }
    if (item.post.id == keyword) {
      EXPECT_EQ(item.findings.size(), 1u);
    }
  }
}

TEST_F(Governance, ApproversSeeWhatLegalsRulesWillSayBeforeTheyApprove) {
  int64_t blocked = submit("screened", "Big news: the merger with Globex is done");
  int64_t clean = submit("screened", "Big news: our new office is open");
  run_now();
  auto inbox = host_->inbox("mo");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 2u);
  const InboxItem& first = (*inbox)[0].post.id == blocked ? (*inbox)[0] : (*inbox)[1];
  const InboxItem& second = (*inbox)[0].post.id == blocked ? (*inbox)[1] : (*inbox)[0];
  std::map<std::string, std::string> found;  // rule -> severity
  for (const std::string& f : first.findings) {
    auto finding = nlohmann::json::parse(f);
    found[finding["rule"]] = finding["severity"];
  }
  EXPECT_EQ(found, (std::map<std::string, std::string>{{"legal_review/insider", "block"},
                                                       {"legal_review/competitors", "warn"}}));
  EXPECT_TRUE(second.findings.empty());
  EXPECT_EQ(post(blocked).state, "waiting") << "the findings decide nothing before legal's step";

  // The legal step still decides in its place.
  approve(blocked, "mo");
  EXPECT_EQ(post(blocked).state, "rejected");
  EXPECT_NE(post(blocked).reason.find("blocked by rule 'insider'"), std::string::npos)
      << post(blocked).reason;
  approve(clean, "mo");
  EXPECT_EQ(post(clean).state, "done");
}

TEST_F(Governance, TheLawyerSeesEachFindingOnceThoughLegalsRulesRanTwice) {
  int64_t id = submit("screened", "For next year we expect growth");
  run_now();
  approve(id, "mo");
  ASSERT_EQ(post(id).state, "held") << post(id).reason;
  auto inbox = host_->inbox("grace");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  ASSERT_EQ((*inbox)[0].findings.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse((*inbox)[0].findings[0])["rule"], "legal_review/forward-looking");
  EXPECT_EQ(event_comments(id, "finding").size(), 2u) << "the early run's and the legal step's";
}

TEST_F(Governance, AnEditIsScreenedAgainAndOnlyItsOwnFindingsShow) {
  int64_t id = submit("screened", "We plan a merger");
  run_now();
  ASSERT_TRUE(host_->edit(id, "ana", "We plan a party", "no deal talk"));
  run_now();
  auto inbox = host_->inbox("mo");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_TRUE((*inbox)[0].findings.empty()) << (*inbox)[0].findings.front();
  approve(id, "mo");
  EXPECT_EQ(post(id).state, "done");
}

TEST_F(Governance, DelegationForAPeriod) {
  int64_t id = submit("one", "While mo is away");
  run_now();
  EXPECT_EQ(host_->approve(id, "zed", "", "").code(), ErrorCode::permission_denied);
  auto made = host_->delegate("mo", "zed", start_ + 2 * kHour);
  ASSERT_TRUE(made) << made.status().message();
  auto circular = host_->delegate("zed", "mo", start_ + kHour);
  EXPECT_EQ(circular.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(circular.status().message().find("circular delegation: zed -> mo -> zed"),
            std::string::npos)
      << circular.status().message();
  EXPECT_EQ(host_->delegate("mo", "nobody", start_ + kHour).status().code(), ErrorCode::not_found);
  EXPECT_EQ(host_->delegate("mo", "li", start_ - kHour).status().code(),
            ErrorCode::invalid_argument);
  auto inbox = host_->inbox("zed");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].on_behalf, "mo");
  approve(id, "zed");
  EXPECT_EQ(post(id).state, "done");
  EXPECT_NE(audit_text(id).find("for mo (delegated)"), std::string::npos);

  int64_t later = submit("one", "After the delegation ended");
  run_until(start_ + 3 * kHour);
  EXPECT_EQ(host_->approve(later, "zed", "", "").code(), ErrorCode::permission_denied);
}

TEST_F(Governance, RevokedDelegationNoLongerLetsTheDelegateAct) {
  int64_t id = submit("one", "While mo is away, briefly");
  run_now();
  auto made = host_->delegate("mo", "zed", start_ + 2 * kHour);
  ASSERT_TRUE(made) << made.status().message();
  auto listed = host_->delegations();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].state, "active");
  EXPECT_EQ(host_->revoke_delegation(*made, "li", "").status().code(),
            ErrorCode::permission_denied);
  EXPECT_EQ(host_->revoke_delegation(*made + 1, "mo", "").status().code(), ErrorCode::not_found);
  auto revoked = host_->revoke_delegation(*made, "zed", "mo is back");
  ASSERT_TRUE(revoked) << revoked.status().message();
  EXPECT_EQ(revoked->state, "revoked");
  EXPECT_EQ(revoked->revoked_by, "zed");
  EXPECT_EQ(host_->revoke_delegation(*made, "mo", "").status().code(),
            ErrorCode::failed_precondition);
  EXPECT_TRUE(host_->delegations()->empty());
  auto all = host_->delegations(true);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].revoke_reason, "mo is back");
  EXPECT_TRUE(host_->inbox("zed")->empty());
  EXPECT_EQ(host_->approve(id, "zed", "", "").code(), ErrorCode::permission_denied);
  // A new delegation the other way is no circle once the first is revoked.
  EXPECT_TRUE(host_->delegate("zed", "mo", start_ + kHour));
}

TEST_F(Governance, LegalRulesHoldWithSpansAndLegalDecides) {
  int64_t forward = submit("legal", "Next year we expect growth. Unlike Globex.");
  int64_t blocked = submit("legal", "Big merger news soon");
  int64_t runaway = submit("legal", std::string(65'000, 'a') + "!");  // near the 64 KiB limit
  run_now();
  EXPECT_EQ(post(blocked).state, "rejected");
  EXPECT_NE(post(blocked).reason.find("insider"), std::string::npos);
  EXPECT_EQ(post(runaway).state, "done") << "RE2 finishes on the adversarial text: no match";
  EXPECT_EQ(post(forward).state, "waiting");
  auto inbox = host_->inbox("grace");
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  const InboxItem& item = (*inbox)[0];
  EXPECT_EQ(item.actions, (std::vector<std::string>{"clear", "reject", "require_edit"}));
  std::string findings;
  for (const auto& f : item.findings) findings += f + "\n";
  EXPECT_NE(findings.find("\"excerpt\":\"we expect\""), std::string::npos) << findings;
  EXPECT_NE(findings.find("\"start\":10,\"end\":19"), std::string::npos) << findings;
  EXPECT_NE(findings.find("\"severity\":\"warn\""), std::string::npos) << findings;
  EXPECT_EQ(host_->legal_decision(forward, "mo", "clear", "").code(), ErrorCode::permission_denied);
  ASSERT_TRUE(host_->legal_decision(forward, "grace", "require_edit", "add safe-harbour text"));
  run_now();
  EXPECT_EQ(post(forward).state, "held");
  ASSERT_TRUE(host_->edit(forward, "ana", "Next year we expect growth (not a promise).", ""));
  run_now();
  EXPECT_EQ(post(forward).state, "waiting") << "the new revision needs legal again";
  ASSERT_TRUE(host_->legal_decision(forward, "hal", "clear", "fine now"));
  run_now();
  EXPECT_EQ(post(forward).state, "done");
}

TEST_F(Governance, LegalReviewDeadlineEscalates) {
  int64_t id = submit("legal", "We expect a great year.");
  run_now();
  EXPECT_EQ(host_->legal_decision(id, "gc", "clear", "").code(), ErrorCode::permission_denied);
  run_until(start_ + 5 * kHour);
  EXPECT_EQ(post(id).state, "held");
  EXPECT_NE(post(id).reason.find("escalated to general_counsel"), std::string::npos);
  ASSERT_TRUE(host_->legal_decision(id, "gc", "reject", "not this quarter"));
  run_now();
  EXPECT_EQ(post(id).state, "rejected");
}

TEST_F(Governance, DisclaimerIsAppendedAndCounted) {
  int64_t short_post = submit("legal", "Try our new app", {"sponsored"});
  int64_t long_post = submit("legal", std::string(278, 'x'), {"sponsored"});
  run_now();
  EXPECT_EQ(post(short_post).state, "done");
  EXPECT_EQ(post(short_post).text, "Try our new app #ad");
  EXPECT_EQ(post(long_post).state, "held");
  EXPECT_NE(post(long_post).reason.find("makes the post 282 of 280 on x"), std::string::npos)
      << post(long_post).reason;
}

TEST_F(Governance, TemplatesTakeTheFastLane) {
  int64_t instance = submit("support", "Hi Maria, we have refunded order 123456. Sorry about that!",
                            {}, "ana", "support");
  int64_t changed =
      submit("support", "Hi Maria, we have refunded order 123456. Sorry! Also: free stuff.", {},
             "ana", "support");
  int64_t smuggled =
      submit("support", "Hi http://evil.example, we have refunded order 123456. Sorry about that!",
             {}, "ana", "support");
  run_now();
  EXPECT_EQ(post(instance).state, "done");
  EXPECT_NE(audit_text(instance).find("fast lane"), std::string::npos);
  EXPECT_EQ(post(changed).state, "waiting");
  EXPECT_EQ(post(smuggled).state, "waiting") << "a placeholder cannot carry a link";
}

TEST_F(Governance, TamperedAuditIsDetected) {
  int64_t id = submit("one", "Audit me");
  run_now();
  approve(id, "mo");
  auto verified = host_->verify_audit();
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->intact);
  EXPECT_GT(verified->entries, 3);
  Result<std::vector<AuditRecord>> records = host_->audit(id);
  ASSERT_TRUE(records);
  int64_t target = (*records)[2].id;
  host_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("governance.db").c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE audit SET actor = 'li' WHERE id = " + std::to_string(target);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto cli = testing::run_command(std::string(HERALD_CLI) + " audit verify " + config_);
  EXPECT_EQ(cli.exit_code, 8) << cli.output;
  EXPECT_NE(cli.output.find("BROKEN at entry " + std::to_string(target)), std::string::npos)
      << cli.output;
  EXPECT_NE(cli.output.find("changed after it was written"), std::string::npos);

  ASSERT_EQ(sqlite3_open(dir_.file("governance.db").c_str(), &db), SQLITE_OK);
  sql = "UPDATE audit SET actor = 'mo' WHERE id = " + std::to_string(target) +
        "; DELETE FROM audit WHERE id = " + std::to_string(target + 1);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  cli = testing::run_command(std::string(HERALD_CLI) + " audit verify " + config_);
  EXPECT_EQ(cli.exit_code, 8) << cli.output;
  EXPECT_NE(cli.output.find("BROKEN at entry " + std::to_string(target + 2)), std::string::npos)
      << cli.output;
  EXPECT_NE(cli.output.find("an entry before it was removed"), std::string::npos) << cli.output;

  // A hash replaced by hand breaks the chain at that entry.
  ASSERT_EQ(sqlite3_open(dir_.file("governance.db").c_str(), &db), SQLITE_OK);
  sql =
      "INSERT INTO audit SELECT id + 1, post_id, at_ms, actor, action, step, from_state, "
      "to_state, detail, prev_id, hash FROM audit WHERE id = " +
      std::to_string(target) +
      "; UPDATE audit SET hash = zeroblob(32) WHERE id = " + std::to_string(target);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  cli = testing::run_command(std::string(HERALD_CLI) + " audit verify " + config_);
  EXPECT_EQ(cli.exit_code, 8) << cli.output;
  EXPECT_NE(cli.output.find("BROKEN at entry " + std::to_string(target)), std::string::npos)
      << cli.output;
}

TEST_F(Governance, AuditExportsAsJsonLinesAndCsv) {
  int64_t id = submit("one", "Export, me");
  run_now();
  approve(id, "mo");
  Result<std::vector<AuditRecord>> records = host_->audit(std::nullopt);
  ASSERT_TRUE(records);
  size_t entries = records->size();
  host_.reset();
  std::string cli = std::string(HERALD_CLI) + " audit export " + config_;
  auto jsonl = testing::run_command(cli + " --format jsonl");
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.output;
  EXPECT_EQ(testing::count_lines(jsonl.output), entries);
  EXPECT_NE(jsonl.output.find("\"prev_hash\":\"0000000000"), std::string::npos);
  std::string file = dir_.file("audit.csv");
  auto csv = testing::run_command(cli + " --format csv --output " + file);
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  auto rows = csv::parse(testing::read_file(file));
  ASSERT_TRUE(rows) << rows.status().message();
  ASSERT_EQ(rows->size(), entries + 1) << "a header line";
  EXPECT_EQ((*rows)[0].fields[0], "id");
  for (size_t i = 0; i < entries; ++i) {
    const AuditRecord& r = (*records)[i];
    const auto& fields = (*rows)[i + 1].fields;
    ASSERT_EQ(fields.size(), 11u) << (*rows)[i + 1].line;
    EXPECT_EQ(fields[0], std::to_string(r.id));
    EXPECT_EQ(fields[3], r.actor);
    EXPECT_EQ(fields[8], r.detail) << "a detail with commas, quotes or lines reads back as it is";
    EXPECT_EQ(fields[10], r.hash);
  }
  auto later = testing::run_command(cli + " --since 2030-01-01T00:00:00Z");
  EXPECT_EQ(later.exit_code, 0);
  EXPECT_EQ(later.output, "");
}

struct BadChain {
  const char* name;
  std::string stage_config;
  std::vector<std::string> expected;
};

class BadChains : public ::testing::TestWithParam<BadChain> {};

TEST_P(BadChains, AreConfigErrorsAtValidateTime) {
  testing::TempDir dir;
  std::string yaml = std::string(R"(herald: 1
accounts: { corp: { network: x } }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  li: { roles: [marketing] }
workflows:
  w:
    steps:
      - kind: approve
        plugin: approve
        config:
          stages:
)") + GetParam().stage_config;
  std::string path = dir.write("company.yaml", yaml);
  dir.write("bad-rules.yaml", "rules:\n  - name: backref\n    pattern: '(a)\\1'\n    message: x\n");
  dir.write("broken-rules.yaml", "rules: [ { name: x\n");
  HostOptions options;
  options.open_store = false;
  auto host = Host::open(path, options);
  ASSERT_FALSE(host);
  EXPECT_EQ(host.status().code(), ErrorCode::config);
  for (const auto& part : GetParam().expected)
    EXPECT_NE(host.status().message().find(part), std::string::npos)
        << "message:\n"
        << host.status().message() << "\nmissing: " << part;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadChains,
    ::testing::Values(
        BadChain{"unknown_person",
                 "            - { name: ceo, people: [boss] }\n",
                 {"company.yaml:14:", "'boss' is not one of `people`"}},
        BadChain{"role_nobody_has",
                 "            - { name: exec, roles: [executive] }\n",
                 {"company.yaml:14:", "nobody has role executive"}},
        BadChain{"quorum_too_large",
                 "            - { roles: [marketing], quorum: 3 }\n",
                 {"needs 3 approvals but only 2 people can give one (mo, li)"}},
        BadChain{"n_of_m_mismatch",
                 "            - { roles: [marketing], quorum: 1 of 3 }\n",
                 {"says 3 people, but 2 can approve", "write '1 of 2'"}},
        BadChain{"unknown_key",
                 "            - { roles: [marketing], qourum: any }\n",
                 {"company.yaml:14:", "unknown key 'qourum'"}},
        BadChain{"escalate_without_target",
                 "            - { roles: [marketing], deadline: 2h, on_late: escalate }\n",
                 {"escalate needs `escalate_to`"}},
        BadChain{"bad_deadline",
                 "            - { roles: [marketing], deadline: soon }\n",
                 {"'soon' is not a duration"}},
        BadChain{"rules_rejected_by_re2",
                 "            - { roles: [marketing] }\n      - kind: legal_review\n"
                 "        plugin: legal_review\n        config: { rules: bad-rules.yaml }\n",
                 {"bad-rules.yaml:3:14", "rule 'backref'", "not valid RE2"}},
        BadChain{"rules_do_not_parse",
                 "            - { roles: [marketing] }\n      - kind: legal_review\n"
                 "        plugin: legal_review\n        config: { rules: broken-rules.yaml }\n",
                 {"broken-rules.yaml:2:", "does not parse"}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace herald
