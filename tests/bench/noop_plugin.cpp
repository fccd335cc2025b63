#include "noop_step.hpp"

HERALD_PLUGIN("bench_noop", "1.0.0", "Apache-2.0",
              HERALD_COMPONENT(NoopStep, HERALD_KIND_DRAFT, "noop", "reads a field and advances"))
