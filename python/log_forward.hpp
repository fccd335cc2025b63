// The importable module's log goes to Python's `logging` (logger "herald"); see log_forward.cpp.
#pragma once

#include <pybind11/pybind11.h>

namespace herald::python {

/// Makes Herald's default logger hand its messages to logging.getLogger("herald"), from any
/// thread, and defines herald._herald._sync_logs. Called once, when the module is imported.
void forward_logs_to_python(pybind11::module_& m);

/// With the GIL: hands the queued messages over, and sets Herald's level from the "herald"
/// logger's effective level (so a quiet logger costs the engine nothing).
void sync_logs();

}  // namespace herald::python
