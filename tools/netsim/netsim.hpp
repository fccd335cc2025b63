// The simulator behind herald-netsim, for programs that serve it themselves (the fuzz target
// tests/fuzz/fuzz_netsim.cpp hands it requests without a socket). netsim.cpp compiled with
// HERALD_NETSIM_NO_MAIN is the simulator without the program.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <string>

namespace herald::netsim {

/// Installs a simulator's endpoints on `server`; the simulator lives as long as the result.
/// `seed` drives fault injection; `webhook_secret` ("" for none) is checked on webhook calls.
std::shared_ptr<void> install_simulator(httplib::Server& server, uint64_t seed,
                                        int64_t bsky_access_ttl_s, std::string webhook_secret);

}  // namespace herald::netsim
