// Hooks and Python steps inside the engine, with the interpreter embedded as in `herald run`:
// hooks that change a post, veto it, raise, hang past the time limit or return the wrong thing,
// and Python steps returning every outcome, configured like plugins, under several workers.
#include "herald_python.hpp"
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <pybind11/embed.h>

#include <chrono>
#include <random>

namespace py = pybind11;

namespace herald {
namespace {

using testing::TempDir;

/// One interpreter for the whole test program (Python cannot be restarted cleanly).
std::shared_ptr<ScriptRuntime> runtime() {
  static auto* kept = new std::shared_ptr<ScriptRuntime>(python::make_runtime(true));
  return *kept;
}

const char* kPackage = R"(import threading
import select
import time


def pause(seconds):
    # A blocking call like time.sleep(), but one that also works under libfaketime with the
    # monotonic clock left real (its clock_nanosleep() refuses Python's absolute deadlines).
    select.select([], [], [], seconds)

import herald

lock = threading.Lock()
seen = []


def add_hiring(post, ctx):
    post.text = post.text + " #hiring"
    post.tags = post.tags + ["hooked"]
    ctx.note("added the hiring tag")


def veto_fridays(post, ctx):
    if "friday" in post.tags:
        raise herald.Veto("nothing goes out on Fridays")


def raises(post, ctx):
    if "boom" in post.tags:
        raise ValueError("boom in the hook")


def hangs(post, ctx):
    if "sleep" in post.tags:
        pause(2)
    if "stubborn" in post.tags:
        try:
            while True:
                pass
        except herald.Timeout:
            while True:
                pass
    if "spin" in post.tags:
        while True:
            pass


def wrong(post, ctx):
    if "wrong" in post.tags:
        return "a string"


def record(post, ctx):
    with lock:
        seen.append((ctx.point, post.id, ctx.outcome))
    ctx.note(ctx.point + " saw " + ctx.outcome)


class Outcomes:
    """Returns the outcome its post's first tag names."""

    schema = {
        "approver": herald.Setting(str, default="marketing", description="Who approves"),
        "retry_seconds": herald.Setting(int, default=30, description="Retry delay"),
    }

    def __init__(self, config):
        self.approver = config["approver"]
        self.retry_seconds = config["retry_seconds"]

    def run(self, post, ctx):
        tag = post.tags[0] if post.tags else "advance"
        if tag == "wait":
            if any(e["type"] == "approve" for e in ctx.events):
                return herald.advance("approved, seen from python")
            return herald.wait("needs " + self.approver, expect=[("approve", self.approver)])
        if tag == "hold":
            return herald.hold("a person must look", expect=[("approve", self.approver)])
        if tag == "reject":
            return herald.reject("off brand")
        if tag == "retry":
            return herald.retry("try later", after_seconds=self.retry_seconds)
        if tag == "fail":
            return herald.fail("cannot ever")
        if tag == "none":
            return None
        if tag == "bad":
            return 42
        return herald.advance("fine")


class Sentiment:
    """An inbound step: customers first, scams reported (then blocked), thanks answered."""

    kinds = ("inbound",)
    schema = {"customers": herald.Setting(list, required=True, description="our customers")}

    def __init__(self, config):
        self.customers = config["customers"]

    def run(self, mention, ctx):
        if mention.author in self.customers:
            mention.score += 50
            mention.score_detail += " + 50 customer bonus"
        if "scam" in mention.text:
            if ctx.mentions_stopped(mention.at_ms - 86_400_000) >= 1:
                return herald.stop("block", "scam again, from python")
            return herald.stop("report", "says scam, from python")
        if "thanks" in mention.text:
            return herald.answer("w", "a1", mention.author + " you are welcome", author="mo",
                                 tags=["py"], rule="thanks, from python")
        if "boom" in mention.text:
            raise ValueError("boom in sentiment")
        if "shout" in mention.text:
            return herald.stop("shout", "too loud")
        if "wrong" in mention.text:
            return "a string"
        return None


class Publisher:
    """A publish step that takes 50 ms per post and records who ran it, and when."""

    kinds = ("publish",)
    active = 0
    peak = 0
    threads = set()
    order = []

    def run(self, post, ctx):
        with lock:
            Publisher.active += 1
            Publisher.peak = max(Publisher.peak, Publisher.active)
            Publisher.threads.add(threading.get_ident())
            Publisher.order.append((post.account, post.id))
        pause(0.05)
        with lock:
            Publisher.active -= 1
        return herald.advance("sent by python")
)";

class PythonWorkflow : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = "hooks_" + std::to_string(std::random_device{}());
    std::filesystem::create_directories(dir_.path() / module_);
    dir_.write(module_ + "/__init__.py", kPackage);
  }

  /// A configuration with `hooks` (YAML lines under `hooks:`) and `steps` before the publish
  /// step; MODULE in either is replaced by this test's package.
  std::string write_config(std::string hooks, std::string steps,
                           const std::string& publish =
                               "plugin: outbox\n        config: { "
                               "directory: out, fsync: false }",
                           const std::string& extra = "", double timeout = 10) {
    auto fill = [&](std::string text) {
      for (size_t at; (at = text.find("MODULE")) != std::string::npos;)
        text.replace(at, 6, module_);
      return text;
    };
    std::string accounts;
    for (int i = 0; i < 6; ++i)
      accounts +=
          "  a" + std::to_string(i) + ": { network: outbox, handle: a" + std::to_string(i) + " }\n";
    return dir_.write("herald.yaml",
                      fill(std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" +
                           extra + "python:\n  paths: [\".\"]\n  timeout_seconds: " +
                           std::to_string(timeout) + "\naccounts:\n" + accounts +
                           "people:\n  mo: { roles: [marketing] }\n"
                           "hooks:\n" +
                           (hooks.empty() ? "  {}\n" : hooks) + "workflows:\n  w:\n    steps:\n" +
                           steps + "      - kind: publish\n        " + publish + "\n"));
  }

  std::unique_ptr<Host> open(const std::string& config) {
    HostOptions options;
    options.clock = make_virtual_clock(1'800'000'000'000);
    options.scripting = runtime();
    auto host = Host::open(config, options);
    EXPECT_TRUE(host) << host.status().message();
    return host ? std::move(*host) : nullptr;
  }

  int64_t submit(Host& host, std::vector<std::string> tags, const std::string& account = "a0",
                 const std::string& text = "We open in Oslo") {
    SubmitRequest request;
    request.workflow = "w";
    request.account = account;
    request.text = text;
    request.tags = std::move(tags);
    auto id = host.submit(request);
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }

  static std::string audit_text(Host& host, int64_t id) {
    std::string out;
    auto entries = host.audit(id);
    if (entries)
      for (const AuditRecord& e : *entries)
        out += e.actor + " " + e.action + " " + e.to_state + " " + e.detail + "\n";
    return out;
  }

  /// An attribute of this test's Python package.
  py::object attribute(const std::string& dotted) {
    py::object found = py::module_::import(module_.c_str());
    for (size_t start = 0; start <= dotted.size();) {
      size_t dot = dotted.find('.', start);
      found = found.attr(dotted.substr(start, dot - start).c_str());
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return found;
  }

  TempDir dir_;
  std::string module_;
};

TEST_F(PythonWorkflow, AHookChangesTheTextAndTagsThatArePublished) {
  auto host = open(write_config("  before_publish: \"MODULE:add_hiring\"\n", ""));
  ASSERT_TRUE(host);
  int64_t id = submit(*host, {"news"});
  ASSERT_TRUE(host->run({}));
  auto post = host->post(id);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->state, "done");
  EXPECT_EQ(post->text, "We open in Oslo #hiring");
  EXPECT_EQ(post->tags, (std::vector<std::string>{"news", "hooked"}));
  std::string outbox = testing::read_file(dir_.file("out/a0.jsonl"));
  EXPECT_NE(outbox.find("We open in Oslo #hiring"), std::string::npos) << outbox;
  std::string audit = audit_text(*host, id);
  EXPECT_NE(audit.find("added the hiring tag"), std::string::npos) << audit;
  // A reopened host reads what the hook wrote.
  host.reset();
  host = open(dir_.file("herald.yaml"));
  EXPECT_EQ(host->post(id)->tags, (std::vector<std::string>{"news", "hooked"}));
}

TEST_F(PythonWorkflow, AVetoRejectsThePostWithItsReasonAndRunsOnReject) {
  auto host = open(write_config(
      "  before_publish: \"MODULE:veto_fridays\"\n  on_reject: \"MODULE:record\"\n", ""));
  ASSERT_TRUE(host);
  int64_t vetoed = submit(*host, {"friday"});
  int64_t fine = submit(*host, {"monday"});
  ASSERT_TRUE(host->run({}));
  auto post = host->post(vetoed);
  EXPECT_EQ(post->state, "rejected");
  EXPECT_NE(post->reason.find("nothing goes out on Fridays"), std::string::npos) << post->reason;
  EXPECT_NE(post->reason.find(module_ + ":veto_fridays"), std::string::npos) << post->reason;
  EXPECT_EQ(host->post(fine)->state, "done");
  EXPECT_EQ(testing::count_lines(testing::read_file(dir_.file("out/a0.jsonl"))), 1u);
  EXPECT_NE(audit_text(*host, vetoed).find("on_reject saw reject"), std::string::npos);
  python::Gil gil;
  EXPECT_EQ(py::len(attribute("seen")), 1u);
}

TEST_F(PythonWorkflow, AHookThatRaisesFailsItsPostWithTheTracebackAndOthersGoOn) {
  auto host =
      open(write_config("  before_publish: \"MODULE:raises\"\n  on_fail: \"MODULE:record\"\n", ""));
  ASSERT_TRUE(host);
  int64_t boom = submit(*host, {"boom"});
  int64_t fine = submit(*host, {});
  ASSERT_TRUE(host->run({}));
  auto post = host->post(boom);
  EXPECT_EQ(post->state, "failed");
  EXPECT_NE(post->reason.find("Traceback"), std::string::npos) << post->reason;
  EXPECT_NE(post->reason.find("ValueError: boom in the hook"), std::string::npos);
  EXPECT_NE(post->reason.find(module_ + "/__init__.py"), std::string::npos);
  EXPECT_EQ(host->post(fine)->state, "done");
  EXPECT_NE(audit_text(*host, boom).find("on_fail saw fail"), std::string::npos);
}

TEST_F(PythonWorkflow, AHookThatRunsPastTheLimitIsInterruptedAndTheWorkerCarriesOn) {
  auto host = open(write_config("  before_publish: \"MODULE:hangs\"\n", "",
                                "plugin: outbox\n"
                                "        config: { directory: out, fsync: false }",
                                "", 0.5));
  ASSERT_TRUE(host);
  // Python code that never returns; Python code that catches herald.Timeout and goes on; a call
  // blocked outside Python (select) for 2 s, which gets herald.Timeout as it comes back.
  int64_t spinner = submit(*host, {"spin"}, "a1");
  int64_t stubborn = submit(*host, {"stubborn"}, "a2");
  int64_t sleeper = submit(*host, {"sleep"}, "a0");
  int64_t fine = submit(*host, {}, "a3");
  ASSERT_TRUE(host->run({}));
  for (int64_t id : {spinner, stubborn, sleeper}) {
    auto post = host->post(id);
    EXPECT_EQ(post->state, "failed");
    EXPECT_NE(post->reason.find("did not return within 0.500 s"), std::string::npos)
        << post->reason;
  }
  EXPECT_EQ(host->post(fine)->state, "done");
  // The same threads run hooks again afterwards, and no late herald.Timeout reaches them.
  std::vector<int64_t> later;
  for (const char* account : {"a0", "a1", "a2", "a3"}) later.push_back(submit(*host, {}, account));
  ASSERT_TRUE(host->run({}));
  for (int64_t id : later) EXPECT_EQ(host->post(id)->state, "done") << host->post(id)->reason;
}

TEST_F(PythonWorkflow, AHookReturningSomethingElseFailsItsPostSayingWhat) {
  auto host = open(write_config("  before_publish: \"MODULE:wrong\"\n", ""));
  ASSERT_TRUE(host);
  int64_t id = submit(*host, {"wrong"});
  ASSERT_TRUE(host->run({}));
  auto post = host->post(id);
  EXPECT_EQ(post->state, "failed");
  EXPECT_NE(post->reason.find("returned str; a hook returns None"), std::string::npos)
      << post->reason;
}

TEST_F(PythonWorkflow, BeforeAndAfterHooksRunOncePerStepAndOnPublishAfterPublishing) {
  auto host =
      open(write_config("  before_draft: \"MODULE:record\"\n  after_draft: \"MODULE:record\"\n"
                        "  before_publish: \"MODULE:record\"\n  on_publish: \"MODULE:record\"\n",
                        "      - kind: draft\n        plugin: \"python:MODULE:Outcomes\"\n"));
  ASSERT_TRUE(host);
  int64_t id = submit(*host, {"wait"});
  ASSERT_TRUE(host->run({}));
  EXPECT_EQ(host->post(id)->state, "waiting");
  ASSERT_TRUE(host->approve(id, "mo", ""));
  ASSERT_TRUE(host->run({}));
  EXPECT_EQ(host->post(id)->state, "done");
  python::Gil gil;
  std::vector<std::string> points;
  for (py::handle entry : attribute("seen"))
    points.push_back(entry[py::int_(0)].cast<std::string>());
  EXPECT_EQ(points, (std::vector<std::string>{"before_draft", "after_draft", "before_publish",
                                              "on_publish"}));
}

TEST_F(PythonWorkflow, APythonStepReturnsEveryOutcomeACppStepCan) {
  auto host = open(write_config("",
                                "      - kind: draft\n        plugin: \"python:MODULE:Outcomes\"\n"
                                "        config: { retry_seconds: 30 }\n"));
  ASSERT_TRUE(host);
  std::map<std::string, int64_t> ids;
  for (const char* tag : {"wait", "hold", "reject", "retry", "fail", "none", "advance", "bad"})
    ids[tag] = submit(*host, {tag});
  ASSERT_TRUE(host->run(RunOptions{.until_idle = true, .max_rounds = 3}));
  auto state = [&](const char* tag) { return host->post(ids[tag])->state; };
  EXPECT_EQ(state("wait"), "waiting");
  EXPECT_EQ(host->post(ids["wait"])->expects.at(0).role, "marketing");
  EXPECT_EQ(state("hold"), "held");
  EXPECT_EQ(state("reject"), "rejected");
  EXPECT_EQ(host->post(ids["reject"])->reason, "off brand");
  EXPECT_EQ(state("retry"), "ready");
  auto retried = host->post(ids["retry"]);
  EXPECT_GE(retried->attempt, 1);
  EXPECT_EQ(retried->wake_ms - retried->updated_ms, 30'000);  // after_seconds, not the backoff
  EXPECT_EQ(state("fail"), "failed");
  EXPECT_EQ(state("none"), "done");
  EXPECT_EQ(state("advance"), "done");
  EXPECT_EQ(state("bad"), "failed");
  EXPECT_NE(host->post(ids["bad"])->reason.find("returned int"), std::string::npos);
  ASSERT_TRUE(host->approve(ids["wait"], "mo", "ok"));
  ASSERT_TRUE(host->run(RunOptions{.until_idle = true, .max_rounds = 3}));
  EXPECT_EQ(state("wait"), "done");
  EXPECT_NE(audit_text(*host, ids["wait"]).find("approved, seen from python"), std::string::npos);
}

TEST_F(PythonWorkflow, APythonStepRunsOnSeveralPublishWorkersAtOnce) {
  auto host = open(write_config("", "", "plugin: \"python:MODULE:Publisher\"",
                                "engine: { publish_concurrency: 4 }\n"));
  ASSERT_TRUE(host);
  std::map<std::string, std::vector<int64_t>> submitted;
  for (int round = 0; round < 2; ++round)
    for (int a = 0; a < 6; ++a) {
      std::string account = "a" + std::to_string(a);
      submitted[account].push_back(submit(*host, {}, account));
    }
  ASSERT_TRUE(host->run({}));
  for (const auto& [account, ids] : submitted)
    for (int64_t id : ids) EXPECT_EQ(host->post(id)->state, "done") << id;
  python::Gil gil;
  int peak = attribute("Publisher.peak").cast<int>();
  EXPECT_GT(peak, 1);
  EXPECT_LE(peak, 4);
  EXPECT_GT(py::len(attribute("Publisher.threads")), 1u);
  // Each account's posts in the order they were submitted.
  std::map<std::string, std::vector<int64_t>> order;
  for (py::handle entry : attribute("Publisher.order"))
    order[entry[py::int_(0)].cast<std::string>()].push_back(entry[py::int_(1)].cast<int64_t>());
  EXPECT_EQ(order, submitted);
}

TEST_F(PythonWorkflow, APythonStepsConfigIsCheckedLikeAPlugins) {
  std::string steps =
      "      - kind: draft\n        plugin: \"python:MODULE:Outcomes\"\n"
      "        config: { aprover: legal, retry_seconds: soon }\n";
  HostOptions options;
  options.scripting = runtime();
  auto host = Host::open(write_config("", steps), options);
  ASSERT_FALSE(host);
  EXPECT_EQ(host.status().code(), ErrorCode::config);
  const std::string& message = host.status().message();
  EXPECT_NE(message.find("unknown key 'aprover'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'approver'?"), std::string::npos) << message;
  EXPECT_NE(message.find("'retry_seconds': expected a whole number, got 'soon'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("herald.yaml:"), std::string::npos) << message;
}

TEST_F(PythonWorkflow, BadHooksAndStepsAreReportedWhenTheConfigurationIsOpened) {
  dir_.write(module_ + "/broken.py", "def hook(post, ctx)\n    pass\n");
  dir_.write(module_ + "/shapes.py",
             "def typed(post, ctx) -> str:\n    return ''\n\nclass NoRun:\n    pass\n");
  struct Case {
    std::string hooks, steps, expected;
  };
  std::vector<Case> cases = {
      {"  before_publish: \"nowhere.hooks:x\"\n", "",
       "module 'nowhere.hooks' does not import: ModuleNotFoundError: No module named 'nowhere'"},
      {"  before_publish: \"MODULE.broken:hook\"\n", "", "SyntaxError: expected ':'"},
      {"  before_publish: \"MODULE.shapes:typed\"\n", "", "is declared to return str"},
      {"  before_publish: \"MODULE:nothing\"\n", "", "has no function 'nothing'"},
      {"", "      - kind: draft\n        plugin: \"python:MODULE.shapes:NoRun\"\n",
       "has no run method"},
      {"", "      - kind: draft\n        plugin: \"python:MODULE:Publisher\"\n",
       "is a step for publish, not draft"},
  };
  for (const Case& c : cases) {
    HostOptions options;
    options.scripting = runtime();
    auto host = Host::open(write_config(c.hooks, c.steps), options);
    ASSERT_FALSE(host) << c.expected;
    EXPECT_EQ(host.status().code(), ErrorCode::config);
    EXPECT_NE(host.status().message().find(c.expected), std::string::npos)
        << host.status().message();
    EXPECT_NE(host.status().message().find("herald.yaml:"), std::string::npos);
  }
}

TEST_F(PythonWorkflow, APythonInboundStepScoresStopsAndAnswersMentions) {
  auto host = open(write_config("", "", "plugin: outbox\n        config: { directory: out }",
                                "inbound:\n  steps:\n"
                                "    - plugin: inbound/influence\n"
                                "    - plugin: \"python:MODULE:Sentiment\"\n"
                                "      config: { customers: [\"@bigco\"] }\n"
                                "    - plugin: inbound/moderation\n"
                                "      config: { rules: [ { words: [moron], action: mute } ] }\n"));
  ASSERT_TRUE(host);
  std::vector<StepDescription> steps = host->inbound_steps();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[1].name, "Sentiment");
  EXPECT_EQ(steps[1].plugin, "python:" + module_ + ":Sentiment");
  auto done = host->import_mentions(dir_.write(
      "m1.jsonl",
      R"({"id": "1", "network": "outbox", "author": "@bigco", "followers": 10, "text": "thanks!"}
{"id": "2", "network": "outbox", "author": "@crook", "text": "a scam", "at": "2027-01-15T08:00:00Z"}
{"id": "3", "network": "outbox", "author": "@crook", "text": "scam scam", "at": "2027-01-15T09:00:00Z"}
{"id": "4", "network": "outbox", "author": "@someone", "text": "you moron"}
)"));
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->answered, 1);
  EXPECT_EQ(done->moderated, 3);
  auto all = *host->mentions();
  ASSERT_EQ(all.size(), 4u);
  auto find = [&](const std::string& id) {
    for (const MentionView& m : all)
      if (m.source_id == id) return m;
    return MentionView{};
  };
  // The customer's score was raised by Python after the built-in influence step.
  EXPECT_EQ(all.front().author, "@bigco");
  EXPECT_NE(find("1").score_detail.find("10 followers)"), std::string::npos);
  EXPECT_NE(find("1").score_detail.find("+ 50 customer bonus"), std::string::npos);
  EXPECT_EQ(find("1").action, "answer");
  EXPECT_EQ(find("1").rule, "thanks, from python");
  auto reply = host->post(find("1").reply_post_id);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text, "@bigco you are welcome");
  EXPECT_EQ(reply->account, "a1");
  EXPECT_EQ(reply->author, "mo");
  EXPECT_EQ(reply->tags, (std::vector<std::string>{"reply", "inbound", "reply-to:1", "py"}));
  // Reported first, then blocked as a repeat offender (ctx.mentions_stopped).
  EXPECT_EQ(find("2").action, "report");
  EXPECT_EQ(find("3").action, "block");
  EXPECT_EQ(find("3").rule, "scam again, from python");
  // Python decided nothing about this one: the built-in moderation after it did.
  EXPECT_EQ(find("4").action, "mute");

  // A step that raises, returns something else or an action that is not one stops the import.
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"boom", "ValueError: boom in sentiment"},
           {"wrong",
            "returned str; an inbound step returns None, herald.stop(...) or "
            "herald.answer(...)"},
           {"shout", "herald.stop(shout, ...): action must be ignore, mute, block or report"}}) {
    auto failed = host->import_mentions(
        dir_.write("m-" + text + ".jsonl",
                   "{\"network\": \"outbox\", \"author\": \"@x\", \"text\": \"" + text + "\"}\n"));
    ASSERT_FALSE(failed) << text;
    EXPECT_NE(failed.status().message().find(expected), std::string::npos)
        << failed.status().message();
    EXPECT_NE(failed.status().message().find("nothing was imported"), std::string::npos);
  }
  EXPECT_EQ(host->mentions()->size(), 4u);
}

TEST(PythonRuntimeMissing, AConfigurationWithHooksNeedsAPythonRuntime) {
  TempDir dir;
  std::string config = dir.write(
      "herald.yaml", std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                         "]\naccounts: { a: { network: outbox, handle: a } }\n"
                         "hooks: { on_fail: \"x.y:z\" }\n"
                         "workflows: { w: { steps: [ { kind: publish, plugin: outbox } ] } }\n");
  auto host = Host::open(config);
  ASSERT_FALSE(host);
  EXPECT_NE(host.status().message().find("no Python runtime"), std::string::npos);
}

}  // namespace
}  // namespace herald
