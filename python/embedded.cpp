// The module `herald` built into programs that embed Python (the `herald` program, the tests):
// the same bind_all as the importable module, registered before the interpreter starts.
#include "herald_python.hpp"

#include <pybind11/embed.h>

PYBIND11_EMBEDDED_MODULE(herald, m) {
  herald::python::bind_all(m);
}
