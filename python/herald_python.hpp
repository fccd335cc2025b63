// Herald in Python: the bindings (one bind_all for the importable module and the module embedded
// in the `herald` program) and the runtime that calls hooks and Python steps from the engine.
#pragma once

#include "scripting/runtime.hpp"

#include <pybind11/pybind11.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald::python {

/// Binds Herald's Python API into `m`.
void bind_all(pybind11::module_& m);

/// The runtime behind hooks and `python:` steps. `embedded`: this program is not Python, so
/// the interpreter is started when a configuration first needs it and finalized when the
/// runtime goes. Otherwise Python is already running (the module was imported).
std::shared_ptr<ScriptRuntime> make_runtime(bool embedded);

/// The runtime of this Python process, for hosts opened from Python.
std::shared_ptr<ScriptRuntime> module_runtime();

/// Holds the GIL for its scope, from any thread. A C++ thread keeps the Python thread state it
/// gets on its first call until it ends, so later calls only take the lock.
class Gil {
 public:
  Gil();
  ~Gil();
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  int state_;
};

/// What a hook or a Python step is told about the call (`ctx`).
struct ScriptContext {
  std::string point;  // the hook point, or "step" for a Python step
  std::string workflow;
  std::string step;
  std::string kind;
  std::string account;
  std::string network;
  std::string outcome;  // after_* and on_* hooks: what the step decided
  std::string reason;
  int64_t now_ms = 0;
  std::vector<PostEvent> events;   // Python steps: the events delivered to the step
  std::vector<std::string> notes;  // ctx.note(...)
  /// Inbound steps: how many of the author's earlier mentions on this network were stopped
  /// since a time (ctx.mentions_stopped); throws when the store cannot say.
  std::function<int64_t(int64_t since_ms)> stopped_since;
};

/// The mention a Python inbound step reads (`herald.Mention`); score and score_detail are
/// writable.
struct MentionScript {
  std::string author, text, network, account, id;
  int64_t followers = 0, engagement = 0, at_ms = 0;
  double score = 0;
  std::string score_detail;
};

/// What a Python inbound step decided: herald.stop(...) or herald.answer(...).
struct InboundDecision {
  bool answer = false;
  std::string action;  // stop: ignore, mute, block or report
  std::string rule;
  std::string workflow, account, author, text;  // answer: the reply draft
  std::vector<std::string> tags;
};

/// What a Python step returns.
struct Outcome {
  herald_outcome kind = HERALD_ADVANCE;
  std::string reason;
  int64_t at_ms = 0;  // wait: until when (0: only for events); retry: when to try again
  std::vector<Expectation> expects;
};

/// A key of a Python step's `schema`.
struct Setting {
  herald_value_type type = HERALD_TYPE_STRING;
  bool required = false;
  std::optional<std::string> default_yaml;  // the default as YAML text
  std::string description;
};

/// The exception types bind_all creates, for the runtime.
struct ExceptionTypes {
  PyObject* veto = nullptr;
  PyObject* timeout = nullptr;
};
const ExceptionTypes& exception_types();

}  // namespace herald::python
