// The importable module: `import herald` loads this as herald._herald.
#include "herald_python.hpp"
#include "log_forward.hpp"

PYBIND11_MODULE(_herald, m) {
  herald::python::bind_all(m);
  herald::python::forward_logs_to_python(m);
}
