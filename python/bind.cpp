#include "herald_python.hpp"

#include "cli/render.hpp"
#include "text/measure.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <pybind11/chrono.h>
#include <pybind11/stl.h>
#include <spdlog/spdlog.h>

#include <cxxabi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace py = pybind11;

namespace herald::python {
namespace {

ExceptionTypes g_exceptions;
PyObject* g_errors[static_cast<int>(ErrorCode::internal) + 1] = {};

/// Raises the Python exception that mirrors `status`.
[[noreturn]] void raise(const Status& status) {
  PyObject* type = g_errors[static_cast<int>(status.code())];
  PyErr_SetString(type ? type : PyExc_RuntimeError, status.message().c_str());
  throw py::error_already_set();
}

void check(const Status& status) {
  if (!status) raise(status);
}

template <typename T>
T take(Result<T>&& result) {
  if (!result) raise(result.status());
  return std::move(*result);
}

/// Runs `work`, which may call Python hooks and steps, on a thread of its own while the calling
/// thread waits with the GIL released. Python raises KeyboardInterrupt (Ctrl-C) and whatever a
/// signal handler raises on the main thread only: if the hooks ran there, a hook would get it
/// and its post would fail. Here the caller gets it once `work` has returned, and `stop` is set
/// meanwhile, so that a run ends after its round. (A second Ctrl-C is not needed to stop: the
/// round's steps end within their deadlines.)
template <typename Work>
auto off_the_calling_thread(std::atomic<bool>& stop, Work&& work) -> decltype(work()) {
  std::optional<decltype(work())> out;
  std::exception_ptr failed;
  std::optional<py::error_already_set> signalled;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  {
    py::gil_scoped_release nogil;
    std::thread runner([&] {
      try {
        out.emplace(work());
      } catch (abi::__forced_unwind&) {
        throw;  // the thread is being ended (Python ends threads this way as it shuts down)
      } catch (...) {
        failed = std::current_exception();
      }
      std::lock_guard lock(mutex);
      done = true;
      finished.notify_all();
    });
    std::unique_lock lock(mutex);
    while (!finished.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) {
      if (signalled || _Py_IsFinalizing()) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
          signalled.emplace();  // takes the exception the handler raised
          stop.store(true);
        }
      }
      lock.lock();
    }
    lock.unlock();
    runner.join();
  }
  if (signalled) throw *signalled;
  if (failed) std::rethrow_exception(failed);
  return std::move(*out);
}

/// Milliseconds since the epoch from an int (ms), a float (seconds) or an aware datetime.
int64_t to_ms(const py::handle& value, const char* what) {
  if (py::isinstance<py::bool_>(value))
    throw py::type_error(std::string(what) + ": expected a time, not a bool");
  if (py::isinstance<py::int_>(value)) return value.cast<int64_t>();
  py::module_ datetime = py::module_::import("datetime");
  if (py::isinstance(value, datetime.attr("datetime"))) {
    if (value.attr("tzinfo").is_none())
      throw py::value_error(std::string(what) +
                            ": a datetime without a time zone is ambiguous; use "
                            "datetime(..., tzinfo=timezone.utc) or a ZoneInfo");
    return static_cast<int64_t>(value.attr("timestamp")().cast<double>() * 1000.0);
  }
  throw py::type_error(std::string(what) +
                       ": expected milliseconds since 1970 (int) or an aware datetime");
}

/// A publish time as submit reads it: text as written, an aware datetime, or milliseconds since
/// 1970 (a datetime without a time zone is refused).
std::string at_text(const py::handle& value, const std::string& what) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  const int64_t ms = to_ms(value, what.c_str());
  py::module_ datetime = py::module_::import("datetime");
  return datetime.attr("datetime")
      .attr("fromtimestamp")(static_cast<double>(ms) / 1000, datetime.attr("timezone").attr("utc"))
      .attr("isoformat")()
      .cast<std::string>();
}

std::string repr_post(const PostView& p) {
  std::ostringstream out;
  out << "<herald.Post " << p.id << " " << p.workflow << "/" << p.account << " " << p.state;
  if (!p.step.empty()) out << " at " << p.step;
  out << ">";
  return out.str();
}

py::list expectations(const std::vector<Expectation>& expects) {
  py::list out;
  for (const Expectation& e : expects) out.append(py::make_tuple(e.type, e.role));
  return out;
}

std::vector<Expectation> read_expectations(const py::iterable& items) {
  std::vector<Expectation> out;
  for (py::handle item : items) {
    if (py::isinstance<py::str>(item)) {
      out.push_back({item.cast<std::string>(), ""});
      continue;
    }
    auto pair = item.cast<std::pair<std::string, std::string>>();
    out.push_back({pair.first, pair.second});
  }
  return out;
}

Outcome make_outcome(herald_outcome kind, std::string reason) {
  Outcome o;
  o.kind = kind;
  o.reason = std::move(reason);
  return o;
}

py::dict measure_dict(const text::Measure& m) {
  py::dict d;
  d["network"] = std::string(text::network_name(m.network));
  d["length"] = m.length;
  d["limit"] = m.limit;
  d["valid"] = m.valid;
  d["graphemes"] = m.graphemes;
  d["bytes"] = m.bytes;
  if (m.network == text::Network::x) d["weighted_length"] = m.weighted_length;
  if (m.network == text::Network::bluesky) {
    py::list facets;
    for (const auto& f : m.facets) {
      py::dict facet;
      facet["byte_start"] = f.byte_start;
      facet["byte_end"] = f.byte_end;
      facet["type"] = std::string(text::bluesky::facet_type_name(f.type));
      facet["value"] = f.value;
      facets.append(facet);
    }
    d["facets"] = facets;
  }
  return d;
}

py::dict count_text(const std::string& network, const std::string& text, int64_t limit) {
  text::Network parsed = take(text::parse_network(network));
  text::Measure measured = take(text::measure(parsed, text, limit));
  return measure_dict(measured);
}

void bind_errors(py::module_& m) {
  auto make = [&](const char* name, PyObject* base, const char* doc) {
    PyObject* type = PyErr_NewExceptionWithDoc(
        (std::string(PyModule_GetName(m.ptr())) + "." + name).c_str(), doc, base, nullptr);
    if (!type) throw py::error_already_set();
    m.add_object(name, py::handle(type));
    return type;
  };
  PyObject* error = make("Error", PyExc_Exception, "Base class of Herald's errors.");
  auto set = [&](ErrorCode code, PyObject* type) { g_errors[static_cast<int>(code)] = type; };
  set(ErrorCode::internal, error);
  set(ErrorCode::invalid_argument,
      make("InvalidArgument", error,
           "Something passed in is malformed (a bad time, an empty text)."));
  set(ErrorCode::not_found, make("NotFound", error, "No such post, workflow, account or person."));
  set(ErrorCode::permission_denied,
      make("NotAllowed", error, "The person lacks the role, or is the author (four eyes)."));
  set(ErrorCode::failed_precondition,
      make("WrongState", error, "The post is in a state that does not allow this."));
  set(ErrorCode::config, make("ConfigError", error,
                              "The configuration is invalid; the message says file:line:column."));
  set(ErrorCode::plugin, make("PluginError", error, "A plugin could not be loaded or refused."));
  set(ErrorCode::store, make("StoreError", error, "The database cannot be opened or is corrupt."));
  g_exceptions.veto = make("Veto", PyExc_Exception,
                           "Raised by a hook to stop the post: raise herald.Veto(\"why\"). The "
                           "post is rejected with that reason.");
  g_exceptions.timeout =
      make("Timeout", PyExc_BaseException,
           "Raised inside a hook or Python step that runs past python.timeout_seconds.");
}

/// What Python inbound steps read and decide: herald.Mention, herald.stop, herald.answer.
void bind_inbound(py::module_& m) {
  py::class_<MentionScript>(m, "Mention",
                            "A mention of one of the company's accounts, as an inbound step "
                            "reads it.")
      .def_readonly("author", &MentionScript::author, "The handle of whoever wrote it.")
      .def_readonly("text", &MentionScript::text)
      .def_readonly("network", &MentionScript::network)
      .def_readonly("account", &MentionScript::account, "The company's account it mentions.")
      .def_readonly("id", &MentionScript::id, "The network's id of the mention ('' if unknown).")
      .def_readonly("followers", &MentionScript::followers)
      .def_readonly("engagement", &MentionScript::engagement)
      .def_readonly("at_ms", &MentionScript::at_ms, "When it was written, ms since 1970.")
      .def_readwrite("score", &MentionScript::score, "The influence score; a step may change it.")
      .def_readwrite("score_detail", &MentionScript::score_detail,
                     "How the score was reached, shown in the inbox; a step may change it.")
      .def("__repr__", [](const MentionScript& mention) {
        return "<herald.Mention " + mention.author + " on " + mention.network + ": " +
               mention.text.substr(0, 40) + ">";
      });
  py::class_<InboundDecision>(m, "InboundDecision",
                              "What a Python inbound step decided; made by herald.stop() or "
                              "herald.answer().")
      .def_property_readonly("kind",
                             [](const InboundDecision& d) { return d.answer ? "answer" : "stop"; })
      .def_readonly("action", &InboundDecision::action)
      .def_readonly("rule", &InboundDecision::rule)
      .def("__repr__", [](const InboundDecision& d) {
        return std::string("<herald.InboundDecision ") + (d.answer ? "answer" : d.action) + ": " +
               d.rule + ">";
      });
  m.def(
      "stop",
      [](std::string action, std::string rule) {
        InboundDecision d;
        d.action = std::move(action);
        d.rule = std::move(rule);
        return d;
      },
      py::arg("action"), py::arg("rule"),
      "Inbound steps: never answer this mention; action is ignore, mute, block or report, and "
      "rule says why.");
  m.def(
      "answer",
      [](std::string workflow, std::string account, std::string text, std::string author,
         std::vector<std::string> tags, std::string rule) {
        InboundDecision d;
        d.answer = true;
        d.workflow = std::move(workflow);
        d.account = std::move(account);
        d.text = std::move(text);
        d.author = std::move(author);
        d.tags = std::move(tags);
        d.rule = std::move(rule);
        return d;
      },
      py::arg("workflow"), py::arg("account"), py::arg("text"), py::arg("author") = "",
      py::arg("tags") = std::vector<std::string>{}, py::arg("rule") = "",
      "Inbound steps: answer this mention with a reply draft that goes through `workflow` on "
      "`account`, written as the person `author`.");
}

py::dict moderation_dict(const ModerationSent& sent) {
  py::dict d;
  d["sent"] = sent.sent;
  d["later"] = sent.later;
  d["not_offered"] = sent.not_offered;
  d["refused"] = sent.refused;
  d["unknown"] = sent.unknown;
  return d;
}

py::dict import_dict(const InboundImport& done) {
  py::dict d;
  d["rows"] = done.rows;
  d["added"] = done.added;
  d["duplicates"] = done.duplicates;
  d["answered"] = done.answered;
  d["moderated"] = done.moderated;
  d["inbox"] = done.inbox;
  d["moderation"] = moderation_dict(done.moderation);
  return d;
}

py::dict mention_dict(const MentionView& m) {
  py::dict d;
  d["id"] = m.id;
  d["network"] = m.network;
  d["account"] = m.account;
  d["author"] = m.author;
  d["text"] = m.text;
  d["source_id"] = m.source_id;
  d["followers"] = m.followers;
  d["engagement"] = m.engagement;
  d["at_ms"] = m.at_ms;
  d["score"] = m.score;
  d["score_detail"] = m.score_detail;
  d["action"] = m.action;
  d["rule"] = m.rule;
  d["reply_post_id"] = m.reply_post_id;
  d["reply_state"] = m.reply_state;
  d["moderation"] = m.moderation;
  d["moderation_note"] = m.moderation_note;
  return d;
}

void bind_values(py::module_& m) {
  py::class_<PostView>(m, "Post", "A post: where it is in its workflow, and why.")
      .def_readonly("id", &PostView::id)
      .def_readonly("workflow", &PostView::workflow)
      .def_readwrite("account", &PostView::account,
                     "The account it goes out from; a hook or step before publishing may route "
                     "it to another configured account.")
      .def_readonly("author", &PostView::author)
      .def_readwrite("text", &PostView::text, "The text; hooks and Python steps may change it.")
      .def_readwrite("tags", &PostView::tags, "The tags; hooks and Python steps may change them.")
      .def_readonly("state", &PostView::state,
                    "ready, waiting, held, in_flight, unconfirmed, done, rejected, failed, ...")
      .def_readonly("step", &PostView::step, "The current step's name ('' once finished).")
      .def_readonly("step_index", &PostView::step_index)
      .def_readonly("step_kind", &PostView::step_kind)
      .def_readonly("reason", &PostView::reason, "Why it is in this state.")
      .def_property_readonly(
          "expects", [](const PostView& p) { return expectations(p.expects); },
          "What it waits for: (event type, who) pairs.")
      .def_readonly("wake_ms", &PostView::wake_ms)
      .def_readonly("publish_at_ms", &PostView::publish_at_ms)
      .def_readonly("planned_ms", &PostView::planned_ms)
      .def_readonly("zone", &PostView::zone)
      .def_readonly("remote_id", &PostView::remote_id, "The network's id once published.")
      .def_readonly("attempt", &PostView::attempt)
      .def_readonly("created_ms", &PostView::created_ms)
      .def_readonly("updated_ms", &PostView::updated_ms)
      .def_readonly("revision", &PostView::revision)
      .def_readonly("stage", &PostView::stage)
      .def_readonly("paused", &PostView::paused)
      .def("__repr__", &repr_post);

  py::class_<ScriptContext>(m, "Context", "What a hook or a Python step is told about the call.")
      .def_readonly("point", &ScriptContext::point,
                    "The hook point (before_publish, on_reject, ...), or 'step'.")
      .def_readonly("workflow", &ScriptContext::workflow)
      .def_readonly("step", &ScriptContext::step)
      .def_readonly("kind", &ScriptContext::kind)
      .def_readonly("account", &ScriptContext::account)
      .def_readonly("network", &ScriptContext::network)
      .def_readonly("outcome", &ScriptContext::outcome,
                    "after_* and on_* hooks: what the step decided (advance, reject, fail, ...).")
      .def_readonly("reason", &ScriptContext::reason)
      .def_readonly("now_ms", &ScriptContext::now_ms, "The engine's clock, ms since 1970.")
      .def_property_readonly(
          "events",
          [](const ScriptContext& c) {
            py::list out;
            for (const PostEvent& e : c.events) {
              py::dict d;
              d["type"] = e.type;
              d["actor"] = e.actor;
              d["comment"] = e.comment;
              d["at_ms"] = e.at_ms;
              d["stage"] = e.stage;
              out.append(d);
            }
            return out;
          },
          "Python steps: the events delivered to the step (type, actor, comment, at_ms).")
      .def(
          "note", [](ScriptContext& c, std::string text) { c.notes.push_back(std::move(text)); },
          py::arg("text"), "Adds a note to the post's audit trail.")
      .def(
          "log",
          [](const ScriptContext& c, const std::string& message, const std::string& level) {
            auto lvl = spdlog::level::from_str(level);
            spdlog::log(lvl == spdlog::level::off ? spdlog::level::info : lvl, "[{} {}] {}",
                        c.point, c.step, message);
          },
          py::arg("message"), py::arg("level") = "info", "Logs through Herald's logger.")
      .def(
          "mentions_stopped",
          [](const ScriptContext& c, py::object since) {
            if (!c.stopped_since)
              throw std::invalid_argument("mentions_stopped() is for inbound steps");
            return c.stopped_since(to_ms(since, "since"));
          },
          py::arg("since"),
          "Inbound steps: how many of the author's earlier mentions on this network were "
          "stopped since `since` (ms or aware datetime).");

  bind_inbound(m);

  py::class_<Outcome>(m, "Outcome", "What a Python step decided; made by herald.advance() etc.")
      .def_property_readonly("kind", [](const Outcome& o) { return outcome_name(o.kind); })
      .def_readonly("reason", &Outcome::reason)
      .def_readonly("at_ms", &Outcome::at_ms)
      .def_property_readonly("expects", [](const Outcome& o) { return expectations(o.expects); })
      .def("__repr__", [](const Outcome& o) {
        return "<herald.Outcome " + outcome_name(o.kind) +
               (o.reason.empty() ? "" : ": " + o.reason) + ">";
      });
  m.def(
      "advance", [](std::string reason) { return make_outcome(HERALD_ADVANCE, std::move(reason)); },
      py::arg("reason") = "", "The step is done with the post: on to the next step.");
  m.def(
      "wait",
      [](std::string reason, py::object until, py::iterable expect) {
        Outcome o = make_outcome(HERALD_WAIT, std::move(reason));
        if (!until.is_none()) o.at_ms = to_ms(until, "until");
        o.expects = read_expectations(expect);
        return o;
      },
      py::arg("reason") = "", py::arg("until") = py::none(), py::arg("expect") = py::tuple(),
      "Come back at `until` (ms or aware datetime) and/or when an expected event arrives; "
      "`expect` lists (event type, who) pairs such as ('approve', 'legal').");
  m.def(
      "hold",
      [](std::string reason, py::iterable expect) {
        Outcome o = make_outcome(HERALD_HOLD, std::move(reason));
        o.expects = read_expectations(expect);
        return o;
      },
      py::arg("reason"), py::arg("expect") = py::tuple(), "A person must act.");
  m.def(
      "reject", [](std::string reason) { return make_outcome(HERALD_REJECT, std::move(reason)); },
      py::arg("reason"), "The post stops here, rejected.");
  m.def(
      "revise", [](std::string reason) { return make_outcome(HERALD_REVISE, std::move(reason)); },
      py::arg("reason"), "Back to its author for a new revision.");
  m.def(
      "retry",
      [](std::string reason, std::optional<double> after_seconds) {
        Outcome o = make_outcome(HERALD_RETRY, std::move(reason));
        if (after_seconds) o.at_ms = -static_cast<int64_t>(*after_seconds * 1000);
        return o;
      },
      py::arg("reason"), py::arg("after_seconds") = py::none(),
      "A transient problem: run the step again later (the engine's backoff unless "
      "after_seconds is given).");
  m.def(
      "fail", [](std::string reason) { return make_outcome(HERALD_FAIL, std::move(reason)); },
      py::arg("reason"), "A permanent problem: the post fails.");

  py::class_<Setting>(m, "Setting", "One key of a Python step's `schema`.")
      .def(py::init([](py::object type, bool required, py::object default_value,
                       std::string description) {
             Setting s;
             py::module_ builtins = py::module_::import("builtins");
             if (type.is(builtins.attr("str")))
               s.type = HERALD_TYPE_STRING;
             else if (type.is(builtins.attr("bool")))
               s.type = HERALD_TYPE_BOOL;
             else if (type.is(builtins.attr("int")))
               s.type = HERALD_TYPE_INT;
             else if (type.is(builtins.attr("float")))
               s.type = HERALD_TYPE_DOUBLE;
             else if (type.is(builtins.attr("list")))
               s.type = HERALD_TYPE_STRING_LIST;
             else if (py::isinstance<py::str>(type) && type.cast<std::string>() == "path")
               s.type = HERALD_TYPE_PATH;
             else
               throw py::type_error(
                   "a Setting's type is str, int, float, bool, list (of strings) or \"path\", "
                   "not " +
                   py::repr(type).cast<std::string>());
             s.required = required;
             s.description = std::move(description);
             if (!default_value.is_none()) {
               if (s.type == HERALD_TYPE_STRING_LIST) {
                 std::string yaml = "[";
                 for (py::handle item : default_value.cast<py::list>()) {
                   std::string text = py::str(item).cast<std::string>();
                   std::string quoted = "\"";
                   for (char c : text)
                     quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
                   yaml += (yaml.size() > 1 ? ", " : "") + quoted + "\"";
                 }
                 s.default_yaml = yaml + "]";
               } else if (s.type == HERALD_TYPE_BOOL) {
                 s.default_yaml = default_value.cast<bool>() ? "true" : "false";
               } else {
                 s.default_yaml = py::str(default_value).cast<std::string>();
               }
             }
             return s;
           }),
           py::arg("type") = py::module_::import("builtins").attr("str"),
           py::arg("required") = false, py::arg("default") = py::none(),
           py::arg("description") = "")
      .def_readonly("required", &Setting::required)
      .def_readonly("description", &Setting::description);

  py::class_<AuditRecord>(m, "AuditEntry", "One entry of a post's audit trail.")
      .def_readonly("id", &AuditRecord::id)
      .def_readonly("post_id", &AuditRecord::post_id)
      .def_readonly("at_ms", &AuditRecord::at_ms)
      .def_readonly("actor", &AuditRecord::actor)
      .def_readonly("action", &AuditRecord::action)
      .def_readonly("step", &AuditRecord::step)
      .def_readonly("from_state", &AuditRecord::from_state)
      .def_readonly("to_state", &AuditRecord::to_state)
      .def_readonly("detail", &AuditRecord::detail)
      .def_readonly("hash", &AuditRecord::hash)
      .def("__repr__", [](const AuditRecord& a) {
        return "<herald.AuditEntry " + std::to_string(a.id) + " post " + std::to_string(a.post_id) +
               " " + a.actor + " " + a.action + " " + a.from_state + "->" + a.to_state + ">";
      });

  py::class_<RunSummary>(m, "RunSummary", "What one run of the engine did.")
      .def_readonly("rounds", &RunSummary::rounds)
      .def_readonly("steps_run", &RunSummary::steps_run)
      .def_readonly("transitions", &RunSummary::transitions)
      .def_readonly("finished", &RunSummary::finished, "Posts that finished, however they ended.")
      .def_readonly("done", &RunSummary::done, "Of those: posts that finished every step.")
      .def_readonly("rejected", &RunSummary::rejected, "Of those: posts a step rejected.")
      .def_readonly("failed", &RunSummary::failed, "Of those: posts that failed.")
      .def("__repr__", [](const RunSummary& r) {
        return "<herald.RunSummary rounds=" + std::to_string(r.rounds) +
               " steps_run=" + std::to_string(r.steps_run) +
               " finished=" + std::to_string(r.finished) + ">";
      });

  py::class_<Clock, std::shared_ptr<Clock>>(
      m, "VirtualClock",
      "A clock that moves only when told to (or when the engine jumps to the next wake-up), so "
      "a week of schedule runs in a second.")
      .def(py::init([](py::object start) {
             int64_t start_ms = 0;
             if (start.is_none()) {
               start_ms = make_real_clock()->now_ms();
             } else if (py::isinstance<py::str>(start)) {
               py::module_ datetime = py::module_::import("datetime");
               py::object parsed =
                   datetime.attr("datetime")
                       .attr("fromisoformat")(py::str(start).attr("replace")("Z", "+00:00"));
               start_ms = to_ms(parsed, "start");
             } else {
               start_ms = to_ms(start, "start");
             }
             return make_virtual_clock(start_ms);
           }),
           py::arg("start") = py::none(),
           "start: ms since 1970, an aware datetime, or ISO 8601 text such as "
           "'2026-12-01T09:00:00Z' (default: now).")
      .def_property_readonly("now_ms", &Clock::now_ms)
      .def(
          "advance",
          [](Clock& c, double seconds) {
            if (seconds < 0) throw py::value_error("a clock does not go backwards");
            c.advance_to(c.now_ms() + static_cast<int64_t>(seconds * 1000));
          },
          py::arg("seconds"), "Moves the clock forward.")
      .def("__repr__", [](const Clock& c) {
        return "<herald.VirtualClock now_ms=" + std::to_string(c.now_ms()) + ">";
      });
}

void bind_host(py::module_& m) {
  py::class_<Host>(m, "Host",
                   "A Herald deployment opened from its YAML configuration: submit posts, record "
                   "decisions, run the engine, read where posts are and their audit trail.")
      .def(py::init([](const std::string& config_path, std::shared_ptr<Clock> clock,
                       bool check_secrets) {
             HostOptions options;
             options.clock = std::move(clock);
             options.resolve_secrets = check_secrets;
             options.scripting = module_runtime();
             return take(Host::open(config_path, options));
           }),
           py::arg("config_path"), py::arg("clock") = nullptr, py::arg("check_secrets") = true,
           "Opens the configuration, its plugins, hooks and store. Raises ConfigError (with "
           "file:line:column) or PluginError. check_secrets=False skips resolving the "
           "accounts' ${env:..}/${file:..} credentials, for scripts that only read or decide "
           "(publishing then fails for an account whose credentials are missing).")
      .def(
          "submit",
          [](Host& host, std::string workflow, std::string account, std::string text,
             std::optional<std::string> author, std::vector<std::string> tags, py::object at,
             std::optional<std::string> dst) {
            SubmitRequest request;
            request.dst_policy = dst.value_or("");
            request.workflow = std::move(workflow);
            request.account = std::move(account);
            request.text = std::move(text);
            request.author = author.value_or("");
            request.tags = std::move(tags);
            if (!at.is_none()) request.at = at_text(at, "at");
            int64_t id = take(host.submit(request));
            return take(host.post(id));
          },
          py::arg("workflow"), py::arg("account"), py::arg("text"), py::arg("author") = py::none(),
          py::arg("tags") = std::vector<std::string>{}, py::arg("at") = py::none(),
          py::arg("dst") = py::none(),
          "Submits a post and returns it. `at`: a datetime, or text such as "
          "'2026-12-01T09:00:00Z' or '2026-12-01 09:00 America/New_York'. `dst` (reject, "
          "shift_forward, earliest, latest) decides a local time that a DST change skips or "
          "repeats (default: the account's dst_policy).")
      .def(
          "approve",
          [](Host& host, int64_t post_id, const std::string& as, std::optional<std::string> comment,
             std::optional<std::string> stage) {
            check(host.approve(post_id, as, comment.value_or(""), stage.value_or("")));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("comment") = py::none(),
          py::arg("stage") = py::none(),
          "Records `as_`'s approval. Raises NotAllowed when that person may not approve.")
      .def(
          "reject",
          [](Host& host, int64_t post_id, const std::string& as, const std::string& reason,
             std::optional<std::string> stage) {
            check(host.reject(post_id, as, reason, stage.value_or("")));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("reason"),
          py::arg("stage") = py::none(), "Records a rejection; the reason is required.")
      .def(
          "legal",
          [](Host& host, int64_t post_id, const std::string& as, const std::string& decision,
             const std::string& reason) {
            check(host.legal_decision(post_id, as, decision, reason));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("decision"),
          py::arg("reason") = "", "Legal's decision: 'clear', 'reject' or 'require_edit'.")
      .def(
          "edit",
          [](Host& host, int64_t post_id, const std::string& as, const std::string& text,
             const std::string& reason) {
            check(host.edit(post_id, as, text, reason));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("text"),
          py::arg("reason") = "", "Replaces the text; the post starts its workflow again.")
      .def(
          "status",
          [](Host& host, std::optional<int64_t> post_id) -> py::object {
            if (post_id) return py::cast(take(host.post(*post_id)));
            return py::cast(take(host.posts()));
          },
          py::arg("post_id") = py::none(),
          "The post with this id, or every post when none is given.")
      .def(
          "run",
          [](Host& host, bool until_idle, std::shared_ptr<Clock> clock, int max_rounds) {
            if (clock) check(host.use_clock(std::move(clock)));
            std::atomic<bool> stop{false};
            RunOptions options;
            options.until_idle = until_idle;
            options.max_rounds = max_rounds;
            options.stop = &stop;
            return take(off_the_calling_thread(stop, [&] { return host.run(options); }));
          },
          py::arg("until_idle") = true, py::arg("clock") = nullptr, py::arg("max_rounds") = 0,
          "Runs the engine until no post is due (on a virtual clock: jumping to each next "
          "wake-up). A clock given here becomes the host's clock.")
      .def(
          "audit",
          [](Host& host, std::optional<int64_t> post_id) { return take(host.audit(post_id)); },
          py::arg("post_id") = py::none(), "The audit trail of one post, or of all.")
      .def(
          "import_mentions",
          [](Host& host, const std::string& path) {
            Result<InboundImport> done = [&] {
              // On this thread: Ctrl-C in an inbound step fails the import, and nothing of it
              // is kept.
              py::gil_scoped_release nogil;  // Python inbound steps take it back
              return host.import_mentions(path);
            }();
            return import_dict(take(std::move(done)));
          },
          py::arg("path"),
          "Imports mentions from a JSON-lines file (author, text, network, followers, "
          "engagement, account, id, at) through the inbound workflow; all lines or none. "
          "Returns the counts (rows, added, duplicates, answered, moderated, inbox, moderation).")
      .def(
          "fetch_mentions",
          [](Host& host, std::optional<std::string> account) {
            Result<InboundFetch> result = [&] {
              py::gil_scoped_release nogil;  // Python inbound steps take it back
              return host.fetch_mentions(account.value_or(""));
            }();
            InboundFetch fetched = take(std::move(result));
            py::list out;
            for (const InboundFetch::Account& a : fetched.accounts) {
              py::dict d = import_dict(a.imported);
              d["account"] = a.account;
              d["cursor"] = a.cursor;
              d["note"] = a.note;
              out.append(d);
            }
            return out;
          },
          py::arg("account") = py::none(),
          "Fetches new mentions from the networks (Mastodon, X) through the publishers and "
          "imports them; one dict of counts per account.")
      .def(
          "mentions",
          [](Host& host, std::optional<std::string> person) {
            py::list out;
            for (const MentionView& m : take(host.mentions(person.value_or(""))))
              out.append(mention_dict(m));
            return out;
          },
          py::arg("as_") = py::none(),
          "Mentions, the most influential first, with what was decided and why (as `herald "
          "inbound list`); with as_=PERSON only what waits for that person.")
      .def(
          "send_moderation",
          [](Host& host) {
            Result<ModerationSent> sent = [&] {
              py::gil_scoped_release nogil;
              return host.send_moderation();
            }();
            return moderation_dict(take(std::move(sent)));
          },
          "Sends the mutes, blocks and reports still pending to the networks.")
      .def(
          "text",
          [](Host&, const std::string& network, const std::string& text, int64_t limit) {
            return count_text(network, text, limit);
          },
          py::arg("network"), py::arg("text"), py::arg("limit") = 0,
          "Counts `text` as the draft step does for `network` (x, mastodon, bluesky, linkedin): "
          "length, limit, valid, graphemes, bytes, and weighted_length (X) or facets (Bluesky).")
      .def_property_readonly(
          "clock", [](Host& host) { return host.clock().now_ms(); }, "The host clock's now, ms.")
      .def_property_readonly("workflows", [](const Host& host) {
        py::list out;
        for (const WorkflowDescription& w : host.workflows()) {
          py::list steps;
          for (const StepDescription& s : w.steps)
            steps.append(py::make_tuple(s.name, s.kind, s.plugin));
          out.append(py::make_tuple(w.name, steps));
        }
        return out;
      });
  m.def("count", &count_text, py::arg("network"), py::arg("text"), py::arg("limit") = 0,
        "Counts `text` as `network` does (see Host.text).");
}

// Delegations, the inbox, pauses, the schedule, the audit trail's checks and exports, revisions,
// advocacy, plugins, and counting many texts: what the CLI does, from Python.

/// An instant from ms since 1970, an aware datetime, or text ("2026-12-24T18:00:00Z",
/// "2026-12-24 18:00 Europe/Oslo"; UTC when it names no zone).
int64_t instant(const py::handle& value, const char* what) {
  if (py::isinstance<py::str>(value)) {
    Result<ZonedInstant> parsed = parse_time(value.cast<std::string>(), "UTC");
    if (!parsed)
      raise(Status(ErrorCode::invalid_argument,
                   std::string(what) + ": " + parsed.status().message()));
    return parsed->utc_ms;
  }
  return to_ms(value, what);
}

/// A JSON text (a finding) as a Python dict; text that is not JSON becomes {"message": text}.
py::object json_object(const std::string& text) {
  try {
    return py::module_::import("json").attr("loads")(text);
  } catch (const py::error_already_set&) {
    py::dict d;
    d["message"] = text;
    return d;
  }
}

std::string path_text(const py::handle& path) {
  return py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
}

void bind_governance_values(py::module_& m) {
  py::class_<DelegationView>(m, "Delegation",
                             "A delegation: `to` acts for `from_` (approvals, legal decisions) "
                             "from since_ms until until_ms, unless revoked.")
      .def_readonly("id", &DelegationView::id)
      .def_readonly("from_", &DelegationView::from, "Who delegated.")
      .def_readonly("to", &DelegationView::to, "Who acts for them.")
      .def_readonly("since_ms", &DelegationView::since_ms)
      .def_readonly("until_ms", &DelegationView::until_ms)
      .def_readonly("state", &DelegationView::state, "active, expired or revoked.")
      .def_readonly("created_by", &DelegationView::created_by)
      .def_readonly("created_ms", &DelegationView::created_ms)
      .def_readonly("revoked_ms", &DelegationView::revoked_ms, "0 unless revoked.")
      .def_readonly("revoked_by", &DelegationView::revoked_by)
      .def_readonly("revoke_reason", &DelegationView::revoke_reason)
      .def("__repr__", [](const DelegationView& d) {
        return "<herald.Delegation " + std::to_string(d.id) + " " + d.to + " for " + d.from +
               " until " + format_utc(d.until_ms) + " " + d.state + ">";
      });

  py::class_<InboxItem>(m, "InboxItem",
                        "A post waiting for one person, as `herald inbox` shows it.")
      .def_readonly("post", &InboxItem::post)
      .def_readonly("actions", &InboxItem::actions,
                    "What this person may do: approve, reject, clear, require_edit, edit.")
      .def_readonly("on_behalf", &InboxItem::on_behalf,
                    "The person they would act for (a delegation), or ''.")
      .def_property_readonly(
          "findings",
          [](const InboxItem& item) {
            py::list out;
            for (const std::string& f : item.findings) out.append(json_object(f));
            return out;
          },
          "What the draft and legal rules found: dicts with rule, severity, message, start, end, "
          "excerpt.")
      .def("__repr__", [](const InboxItem& item) {
        return "<herald.InboxItem post " + std::to_string(item.post.id) + ">";
      });

  py::class_<RevisionView>(m, "Revision", "The text a post had before an edit.")
      .def_readonly("revision", &RevisionView::revision)
      .def_readonly("text", &RevisionView::text)
      .def_readonly("editor", &RevisionView::editor)
      .def_readonly("replaced_ms", &RevisionView::replaced_ms)
      .def_readonly("reason", &RevisionView::reason);

  py::class_<PauseView>(m, "Pause", "A crisis pause of one account, or of all ('').")
      .def_readonly("id", &PauseView::id)
      .def_readonly("account", &PauseView::account, "The account, or '' for every account.")
      .def_readonly("reason", &PauseView::reason)
      .def_readonly("paused_by", &PauseView::paused_by)
      .def_readonly("paused_ms", &PauseView::paused_ms)
      .def_readonly("resumed_by", &PauseView::resumed_by)
      .def_readonly("resumed_ms", &PauseView::resumed_ms, "0 while in effect.")
      .def_readonly("resume_reason", &PauseView::resume_reason)
      .def("__repr__", [](const PauseView& p) {
        return "<herald.Pause " + std::to_string(p.id) + " " +
               (p.account.empty() ? std::string("every account") : p.account) + ": " + p.reason +
               ">";
      });

  py::class_<ResumeSummary>(m, "Resumed", "What ending a pause released.")
      .def_readonly("pause", &ResumeSummary::pause)
      .def_readonly("due", &ResumeSummary::due, "Posts that became due during the pause.")
      .def_readonly("replanned", &ResumeSummary::replanned,
                    "Of those, posts that take the next free slot.")
      .def_readonly("still_paused", &ResumeSummary::still_paused, "Other pauses in effect.");

  py::class_<SlotSuggestion>(m, "Slot", "A suggested weekly slot, with the evidence behind it.")
      .def_readonly("weekday", &SlotSuggestion::weekday, "0 Monday .. 6 Sunday.")
      .def_readonly("minute", &SlotSuggestion::minute,
                    "Minute of the day in the account's time zone.")
      .def_readonly("rate", &SlotSuggestion::rate, "Smoothed engagements per impression.")
      .def_readonly("raw_rate", &SlotSuggestion::raw_rate)
      .def_readonly("lift", &SlotSuggestion::lift, "rate / the account's overall rate.")
      .def_readonly("posts", &SlotSuggestion::posts)
      .def_readonly("impressions", &SlotSuggestion::impressions)
      .def_readonly("engagements", &SlotSuggestion::engagements)
      .def("__repr__", [](const SlotSuggestion& s) {
        static const char* const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
        char when[16];
        std::snprintf(when, sizeof when, "%02d:%02d", s.minute / 60, s.minute % 60);
        return std::string("<herald.Slot ") + days[s.weekday % 7] + " " + when +
               " lift=" + std::to_string(s.lift) + ">";
      });

  py::class_<EngagementImport>(m, "EngagementImport", "What importing engagement history read.")
      .def_readonly("rows", &EngagementImport::rows)
      .def_readonly("added", &EngagementImport::added)
      .def_readonly("replaced", &EngagementImport::replaced)
      .def_readonly("first_ms", &EngagementImport::first_ms)
      .def_readonly("last_ms", &EngagementImport::last_ms);

  py::class_<CheckpointCheck>(m, "CheckpointCheck", "What one signed checkpoint says.")
      .def_readonly("file", &CheckpointCheck::source)
      .def_readonly("size", &CheckpointCheck::size, "The entries it vouches for.")
      .def_readonly("holds", &CheckpointCheck::holds)
      .def_readonly("first_missing_id", &CheckpointCheck::first_missing_id)
      .def_readonly("problem", &CheckpointCheck::problem);

  py::class_<AuditVerification>(m, "AuditVerification", "What checking the audit trail found.")
      .def_readonly("intact", &AuditVerification::intact,
                    "The chain is whole and every checkpoint holds.")
      .def_readonly("entries", &AuditVerification::entries)
      .def_readonly("broken_id", &AuditVerification::broken_id,
                    "The first entry that breaks the chain (0: none).")
      .def_readonly("problem", &AuditVerification::problem)
      .def_readonly("head_id", &AuditVerification::head_id)
      .def_readonly("head_hash", &AuditVerification::head_hash)
      .def_readonly("checkpoints", &AuditVerification::checkpoints)
      .def("__bool__", [](const AuditVerification& v) { return v.intact; })
      .def("__repr__", [](const AuditVerification& v) {
        return std::string("<herald.AuditVerification ") + (v.intact ? "intact" : "BROKEN") + " " +
               std::to_string(v.entries) + " entries>";
      });

  py::class_<AuditCheckpointResult>(m, "AuditCheckpoint", "What signing a checkpoint did.")
      .def_readonly("written", &AuditCheckpointResult::written)
      .def_readonly("file", &AuditCheckpointResult::file)
      .def_readonly("text", &AuditCheckpointResult::text)
      .def_readonly("size", &AuditCheckpointResult::size)
      .def_readonly("head_hash", &AuditCheckpointResult::head_hash)
      .def_readonly("verified", &AuditCheckpointResult::verified);
}

py::dict plugin_dict(const PluginDescription& p) {
  py::dict d;
  d["name"] = p.name;
  d["version"] = p.version;
  d["license"] = p.license;
  d["file"] = p.file;
  d["abi"] = p.abi;
  py::list components;
  for (const PluginComponentDescription& c : p.components)
    components.append(py::make_tuple(c.kind, c.name, c.description));
  d["components"] = components;
  return d;
}

void bind_governance(py::module_& m) {
  auto host = py::reinterpret_borrow<py::class_<Host>>(m.attr("Host"));
  host.def(
          "delegate",
          [](Host& host, const std::string& from, const std::string& to, py::object until) {
            int64_t id = take(host.delegate(from, to, instant(until, "until")));
            for (const DelegationView& d : take(host.delegations(true)))
              if (d.id == id) return d;
            raise(Status(ErrorCode::internal, "delegation " + std::to_string(id) + " not found"));
          },
          py::kw_only(), py::arg("from_"), py::arg("to"), py::arg("until"),
          "Lets `to` act for `from_` (approvals, legal decisions) until `until` (an aware "
          "datetime, ms, or text such as '2026-12-24 18:00 Europe/Oslo'). Returns the "
          "Delegation.")
      .def(
          "delegations", [](Host& host, bool all) { return take(host.delegations(all)); },
          py::arg("all") = false,
          "The delegations in effect, oldest first; all=True adds those that expired or were "
          "revoked.")
      .def(
          "revoke_delegation",
          [](Host& host, int64_t id, const std::string& as, const std::string& reason) {
            return take(host.revoke_delegation(id, as, reason));
          },
          py::arg("delegation_id"), py::kw_only(), py::arg("as_"), py::arg("reason") = "",
          "Ends a delegation now; `as_` is the person who delegated or the delegate.")
      .def(
          "inbox", [](Host& host, const std::string& as) { return take(host.inbox(as)); },
          py::arg("as_"), "What waits for this person (directly or by delegation), oldest first.")
      .def(
          "revisions", [](Host& host, int64_t post_id) { return take(host.revisions(post_id)); },
          py::arg("post_id"), "The texts a post had before its edits.")
      .def(
          "retry",
          [](Host& host, int64_t post_id, const std::string& as, const std::string& reason) {
            check(host.retry(post_id, as, reason));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("reason") = "",
          "Tries a held or quarantined post again.")
      .def(
          "urgent",
          [](Host& host, int64_t post_id, const std::string& as, const std::string& reason) {
            check(host.mark_urgent(post_id, as, reason));
            return take(host.post(post_id));
          },
          py::arg("post_id"), py::kw_only(), py::arg("as_"), py::arg("reason"),
          "Lets a post held for its cadence or a blackout go out at its requested time.")
      .def(
          "pause",
          [](Host& host, std::optional<std::string> account, const std::string& as,
             const std::string& reason) {
            return take(host.pause(account.value_or(""), as, reason));
          },
          py::arg("account") = py::none(), py::kw_only(), py::arg("as_"), py::arg("reason"),
          "Stops every post of the account (None: of every account) not yet published, at once.")
      .def(
          "resume",
          [](Host& host, std::optional<std::string> account, const std::string& as,
             const std::string& reason) {
            return take(host.resume(account.value_or(""), as, reason));
          },
          py::arg("account") = py::none(), py::kw_only(), py::arg("as_"), py::arg("reason") = "",
          "Ends the pause of the account (None: the pause of every account).")
      .def(
          "pauses", [](Host& host) { return take(host.pauses()); }, "The pauses in effect.")
      .def(
          "calendar",
          [](Host& host, py::object start, py::object end, std::optional<std::string> account) {
            int64_t from_ms = instant(start, "start");
            int64_t to_ms_ = instant(end, "end");
            if (to_ms_ <= from_ms)
              raise(Status(ErrorCode::invalid_argument, "calendar: end " + format_utc(to_ms_) +
                                                            " is not after start " +
                                                            format_utc(from_ms)));
            return take(host.calendar(from_ms, to_ms_, account.value_or("")));
          },
          py::arg("start"), py::arg("end"), py::arg("account") = py::none(),
          "Posts planned (or requested) in [start, end), by time; start and end are aware "
          "datetimes, ms, or text.")
      .def(
          "import_engagement",
          [](Host& host, const std::string& account, py::object path) {
            return take(host.import_engagement(account, path_text(path)));
          },
          py::arg("account"), py::arg("path"),
          "Imports engagement history from CSV (timestamp, impressions, engagements); all rows "
          "or none.")
      .def(
          "slots",
          [](Host& host, const std::string& account, size_t count) {
            return take(host.best_slots(account, count));
          },
          py::arg("account"), py::arg("count") = 5,
          "The best weekly slots from the account's engagement history, best first.")
      .def(
          "verify_audit",
          [](Host& host, std::optional<std::vector<py::object>> checkpoints,
             std::optional<py::object> public_key) {
            std::vector<std::string> files;
            if (checkpoints) {
              for (const py::object& c : *checkpoints) files.push_back(path_text(c));
            } else {
              std::string configured = host.audit_checkpoint_directory();
              std::error_code ec;
              if (!configured.empty() && std::filesystem::is_directory(configured, ec))
                files.push_back(configured);
            }
            std::string pem;
            if (public_key) {
              std::string file = path_text(*public_key);
              std::ifstream in(file, std::ios::binary);
              if (!in)
                raise(Status(ErrorCode::invalid_argument,
                             "public_key: cannot read " + file + " (a PEM public key file)"));
              std::stringstream content;
              content << in.rdbuf();
              pem = content.str();
            }
            Result<AuditVerification> result = [&] {
              py::gil_scoped_release nogil;
              return host.verify_audit(files, pem);
            }();
            return take(std::move(result));
          },
          py::arg("checkpoints") = py::none(), py::arg("public_key") = py::none(),
          "Checks the audit trail's hash chain and the signed checkpoints (files or folders; "
          "default: the configured folder). public_key: a PEM file to check signatures with.")
      .def(
          "checkpoint_audit", [](Host& host) { return take(host.checkpoint_audit()); },
          "Verifies the trail, then signs a checkpoint of it into the configured folder.")
      .def(
          "audit_public_key", [](Host& host) { return take(host.audit_public_key()); },
          "The checkpoint key's public half: PEM, then the signed-note verifier key.")
      .def(
          "export_audit",
          [](Host& host, py::object path, const std::string& format, py::object since) {
            if (format != "jsonl" && format != "csv")
              throw py::value_error("export_audit: format is 'jsonl' or 'csv', not '" + format +
                                    "'");
            std::string file = path_text(path);
            int64_t since_ms = since.is_none() ? 0 : instant(since, "since");
            std::string partial = file + ".partial";
            int64_t count = 0;
            Status scanned = [&] {
              py::gil_scoped_release nogil;
              std::ofstream out(partial, std::ios::binary | std::ios::trunc);
              if (!out) return Status(ErrorCode::invalid_argument, partial + ": cannot write");
              bool csv = format == "csv";
              if (csv) out << audit_export_header();
              Status s = host.scan_audit(since_ms, [&](const AuditRecord& r) {
                ++count;
                out << audit_export_line(r, csv);
              });
              out.close();
              if (s && !out) s = Status(ErrorCode::invalid_argument, partial + ": cannot write");
              if (s && std::rename(partial.c_str(), file.c_str()) != 0)
                s = Status(ErrorCode::invalid_argument, file + ": cannot write");
              if (!s) std::remove(partial.c_str());
              return s;
            }();
            check(scanned);
            return count;
          },
          py::arg("path"), py::kw_only(), py::arg("format") = "jsonl",
          py::arg("since") = py::none(),
          "Writes the audit trail, with hashes, to `path` (JSON lines or CSV; the file is written "
          "whole or not at all); `since` keeps entries at or after that time. Returns the number "
          "of entries.")
      .def(
          "advocacy",
          [](Host& host, const std::string& person, const std::string& account, bool opted_in) {
            return take(host.advocacy(person, account, opted_in));
          },
          py::arg("person"), py::arg("account"), py::arg("opted_in") = true,
          "Opts a person in to sharing the account's posts (or out with opted_in=False); False "
          "when it was already so.")
      .def(
          "advocates", [](Host& host) { return take(host.advocates()); },
          "The accounts each person opted in to, by person.")
      .def(
          "report_share",
          [](Host& host, int64_t post_id, const std::string& person, const std::string& url) {
            check(host.report_share(post_id, person, url));
          },
          py::arg("post_id"), py::kw_only(), py::arg("person"), py::arg("url"),
          "Records that a person shared the published post, on its audit trail.")
      .def(
          "amplify_status",
          [](Host& host, int64_t post_id) {
            AmplifyStatus status = take(host.amplify_status(post_id));
            py::dict d;
            d["post"] = status.post;
            d["requests_sent"] = status.requests_sent;
            d["requests_over_cap"] = status.requests_over_cap;
            d["requests_refused"] = status.requests_refused;
            py::list shares;
            for (const AmplifyStatus::Share& s : status.shares)
              shares.append(py::make_tuple(s.person, s.url, s.at_ms));
            d["shares"] = shares;
            return d;
          },
          py::arg("post_id"),
          "A published post's share requests and the shares reported: requests_sent, "
          "requests_over_cap, requests_refused, shares [(person, url, at_ms)].")
      .def(
          "plugins",
          [](const Host& host) {
            py::list out;
            for (const PluginDescription& p : host.plugins()) out.append(plugin_dict(p));
            return out;
          },
          "The plugins loaded: name, version, license, file, abi, components [(kind, name, "
          "description)].")
      .def(
          "accounts",
          [](const Host& host) {
            py::list out;
            for (const AccountDescription& a : host.accounts()) {
              py::dict d;
              d["name"] = a.name;
              d["network"] = a.network;
              d["handle"] = a.handle;
              d["timezone"] = a.timezone;
              out.append(d);
            }
            return out;
          },
          "The configured accounts: name, network, handle, timezone.");

  auto steps = [](const std::vector<StepDescription>& described) {
    py::list out;
    for (const StepDescription& s : described) out.append(py::make_tuple(s.name, s.kind, s.plugin));
    return out;
  };
  host.def(
          "notifiers", [steps](const Host& host) { return steps(host.notifiers()); },
          "The configured notifiers: (name, 'notify', plugin/component).")
      .def(
          "inbound_steps", [steps](const Host& host) { return steps(host.inbound_steps()); },
          "The inbound steps every mention goes through, in order: (name, 'inbound', "
          "plugin/component).")
      .def_property_readonly("store_location", &Host::store_location,
                             "Where the store is (the SQLite file).");
  m.def(
      "plugins",
      [](std::optional<std::vector<py::object>> paths) {
        std::vector<std::string> folders;
        for (const py::object& p : paths.value_or(std::vector<py::object>{}))
          folders.push_back(path_text(p));
        py::list out;
        for (const PluginDescription& p : take(describe_plugins(folders)))
          out.append(plugin_dict(p));
        return out;
      },
      py::arg("paths") = py::none(),
      "Describes the plugins in `paths` (folders or plugin files; default: plugin_dir()), "
      "without a configuration, as `herald plugins --plugin-path` does.");
  m.def("plugin_dir", &builtin_plugin_dir,
        "The folder Herald's own plugins are loaded from when a configuration names no "
        "plugin_paths: the one installed with this module ($HERALD_PLUGIN_DIR overrides it).");
  m.def(
      "count_many",
      [](const std::string& network, const std::vector<std::string>& texts, int64_t limit) {
        text::Network parsed = take(text::parse_network(network));
        std::vector<text::Measure> measured;
        measured.reserve(texts.size());
        Status failure;
        {
          py::gil_scoped_release nogil;
          for (size_t i = 0; i < texts.size() && failure; ++i) {
            Result<text::Measure> one = text::measure(parsed, texts[i], limit);
            if (!one)
              failure = Status(one.status().code(),
                               "texts[" + std::to_string(i) + "]: " + one.status().message());
            else
              measured.push_back(std::move(*one));
          }
        }
        check(failure);
        py::list out;
        for (const text::Measure& one : measured) out.append(measure_dict(one));
        return out;
      },
      py::arg("network"), py::arg("texts"), py::arg("limit") = 0,
      "Counts each text of a list as `network` does (as `herald text` counts a file of texts); "
      "one dict per text, in order.");
}

/// Host.submit_many: many posts checked first, then stored in one transaction, all or none.
void bind_submit_many(py::module_& m) {
  py::class_<Host> host_class(py::object(m.attr("Host")));
  host_class.def(
      "submit_many",
      [](Host& host, const py::iterable& posts) {
        std::vector<SubmitRequest> requests;
        for (py::handle item : posts) {
          const std::string row = "post " + std::to_string(requests.size());
          if (!py::isinstance<py::dict>(item))
            throw py::type_error(row +
                                 ": expected a dict with workflow, account, text and "
                                 "optionally author, tags, at, dst");
          SubmitRequest request;
          for (auto [key, value] : item.cast<py::dict>()) {
            const std::string name = py::str(key);
            if (value.is_none()) continue;
            if (name == "tags") {
              if (py::isinstance<py::str>(value))
                throw py::type_error(row + ": tags is a list of texts, not one text");
              request.tags = value.cast<std::vector<std::string>>();
            } else if (name == "at") {
              request.at = at_text(value, row + ": at");
            } else if (!py::isinstance<py::str>(value)) {
              throw py::type_error(row + ": " + name + " must be a str");
            } else if (name == "workflow") {
              request.workflow = value.cast<std::string>();
            } else if (name == "account") {
              request.account = value.cast<std::string>();
            } else if (name == "text") {
              request.text = value.cast<std::string>();
            } else if (name == "author") {
              request.author = value.cast<std::string>();
            } else if (name == "dst") {
              request.dst_policy = value.cast<std::string>();
            } else {
              throw py::key_error(row + ": unknown key '" + name +
                                  "' (keys: workflow, account, text, author, tags, at, dst)");
            }
          }
          requests.push_back(std::move(request));
        }
        std::vector<SubmitProblem> problems;
        Result<std::vector<int64_t>> ids = [&] {
          py::gil_scoped_release release;
          return host.submit_many(requests, &problems);
        }();
        if (!ids) {
          PyObject* type = g_errors[static_cast<int>(ids.status().code())];
          py::object error = py::reinterpret_borrow<py::object>(type)(ids.status().message());
          py::list refused;
          for (const SubmitProblem& p : problems)
            refused.append(
                py::make_tuple(p.index, p.field == "dst_policy" ? "dst" : p.field, p.message));
          error.attr("problems") = refused;
          PyErr_SetObject(type, error.ptr());
          throw py::error_already_set();
        }
        return std::move(*ids);
      },
      py::arg("posts"),
      "Submits many posts at once and returns their ids, in order. Each post is a dict with "
      "workflow, account, text and optionally author, tags, at (as submit takes them) and dst "
      "(a DST policy). Every post is checked first, as submit checks it; if any is refused "
      "nothing is stored, and the error (InvalidArgument, NotFound, ...) lists each refused "
      "post by its index, also as error.problems: (index, field, message) tuples.");
}

}  // namespace

const ExceptionTypes& exception_types() {
  return g_exceptions;
}

void bind_all(py::module_& m) {
  m.doc() =
      "Herald: corporate social publishing workflows. Open a configuration with Host(path), "
      "submit posts, approve them, run the engine (on a VirtualClock in tests), read the audit "
      "trail. Hooks and Python steps receive a Post and a Context.";
  bind_errors(m);
  bind_values(m);
  bind_host(m);
  bind_governance_values(m);
  bind_governance(m);
  bind_submit_many(m);
}

}  // namespace herald::python
