// `herald-plugin-host`: runs one step's plugin in its own process for `herald run`
// (`isolation: process`; see plugins/isolation.hpp).
#include "plugins/isolation.hpp"

int main(int argc, char** argv) {
  return herald::plugin_host_main(argc, argv);
}
