// A whole configuration file: loaded and checked (config/config.cpp), then, when the
// configuration layer accepts it, opened as `herald validate` opens it (no store) with the
// built-in plugins of this build, so that every step's config is checked by its plugin, and
// described as `herald validate` prints it. Every refusal must say something.
#include "fuzz_support.hpp"

#include "cli/render.hpp"
#include "config/config.hpp"

#include <herald/host.hpp>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  herald::fuzz::quiet_setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using herald::fuzz::check;
  const std::filesystem::path file = herald::fuzz::work_dir() / "herald.yaml";
  herald::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));

  herald::Result<herald::Configuration> config = herald::load_configuration(file.string());
  if (!config) {
    check(!config.status().message().empty());
    return 0;
  }
  // Configurations that run Python need the `herald` program's interpreter.
  if (config->uses_python()) return 0;

  herald::HostOptions options;
  options.open_store = false;
  auto host = herald::Host::open(file.string(), options);
  if (!host) {
    check(!host.status().message().empty());
    return 0;
  }
  const herald::Host& h = **host;
  (void)herald::workflows_text(file.string(), h.workflows(), h.plugins().size(), h.store_location(),
                               h.notifiers(), h.inbound_steps());
  // `herald validate --json`.
  (void)herald::json_text(
      herald::workflows_json(h.workflows(), h.store_location(), h.notifiers(), h.inbound_steps()));
  return 0;
}
