// The step both sides of the ABI benchmark run: read one field, decide to advance.
#pragma once

#include <herald/plugin.hpp>

class NoopStep : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 0> config_keys{};
  explicit NoopStep(herald::Config&) {}
  void run(herald::Context& post) override {
    if (post.field("account").empty()) post.fail("no account");
    post.advance();
  }
};
