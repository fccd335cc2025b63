// The plugin descriptor check (plugins/registry.cpp, plugin_from_descriptor): a descriptor whose
// every field comes from the input, with components laid out at the struct sizes they declare,
// must be refused or accepted without crashing. Its pointers point at memory the target owns
// (or are null): a descriptor may lie about sizes and counts, not about where its memory is.
#include "plugins/registry.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

herald_status create_stub(const herald_host_api*, herald_config*, void**) {
  return HERALD_OK;
}
herald_status run_stub(void*, herald_call*) {
  return HERALD_OK;
}
void destroy_stub(void*) {}

/// Owns the strings and tables a descriptor points at.
struct Arena {
  std::deque<std::string> strings;
  std::deque<std::vector<herald_config_key>> keys;

  const char* text(FuzzedDataProvider& in) {
    if (in.ConsumeIntegralInRange<int>(0, 7) == 0) return nullptr;
    strings.push_back(in.ConsumeRandomLengthString(24));
    return strings.back().c_str();
  }
};

/// A 32-bit field from the input: mostly small values near the valid ones, sometimes anything.
uint32_t small_or_any(FuzzedDataProvider& in, uint32_t small_limit) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, small_limit)
                          : in.ConsumeIntegral<uint32_t>();
}

herald_component make_component(FuzzedDataProvider& in, Arena& arena, uint32_t struct_size) {
  herald_component c;
  std::memset(&c, 0, sizeof c);
  c.struct_size = struct_size;
  // Enumerations are written as the raw integers a plugin could put there.
  uint32_t kind = small_or_any(in, 9);
  std::memcpy(&c.kind, &kind, sizeof kind);
  c.name = arena.text(in);
  c.description = arena.text(in);
  uint32_t key_count = in.ConsumeIntegralInRange<uint32_t>(0, 4);
  if (in.ConsumeIntegralInRange<int>(0, 5) == 0) {
    c.config_keys = nullptr;  // a count with no table
    c.config_key_count = small_or_any(in, 4);
  } else {
    arena.keys.emplace_back(key_count);
    for (herald_config_key& key : arena.keys.back()) {
      key.name = arena.text(in);
      uint32_t type = small_or_any(in, 8);
      std::memcpy(&key.type, &type, sizeof type);
      key.required = in.ConsumeIntegral<int>();
      key.default_value = arena.text(in);
      key.description = arena.text(in);
    }
    c.config_keys = key_count ? arena.keys.back().data() : nullptr;
    c.config_key_count = key_count;
  }
  c.create = in.ConsumeIntegralInRange<int>(0, 7) ? create_stub : nullptr;
  c.run = in.ConsumeIntegralInRange<int>(0, 7) ? run_stub : nullptr;
  c.destroy = in.ConsumeIntegralInRange<int>(0, 7) ? destroy_stub : nullptr;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Arena arena;

  herald_plugin_descriptor d;
  std::memset(&d, 0, sizeof d);
  d.magic =
      in.ConsumeIntegralInRange<int>(0, 15) ? HERALD_PLUGIN_MAGIC : in.ConsumeIntegral<uint32_t>();
  d.struct_size =
      in.ConsumeBool() ? static_cast<uint32_t>(sizeof d) : small_or_any(in, sizeof d + 16);
  d.abi_major =
      in.ConsumeIntegralInRange<int>(0, 7) ? HERALD_ABI_MAJOR : in.ConsumeIntegral<uint16_t>();
  d.abi_minor = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint16_t>(0, HERALD_ABI_MINOR + 1)
                                 : in.ConsumeIntegral<uint16_t>();
  d.name = arena.text(in);
  d.version = arena.text(in);
  d.license = arena.text(in);
  d.description = arena.text(in);
  d.homepage = arena.text(in);

  // Components, each at the offset the sizes declared before it give.
  const uint32_t count = in.ConsumeIntegralInRange<uint32_t>(0, 6);
  std::vector<uint32_t> sizes;
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t declared = in.ConsumeBool()
                            ? static_cast<uint32_t>(sizeof(herald_component))
                            : in.ConsumeIntegralInRange<uint32_t>(0, 2 * sizeof(herald_component));
    sizes.push_back(declared);
    total += declared;
  }
  // Room for the last component's full struct past the declared sizes, suitably aligned.
  std::vector<uint64_t> storage((total + sizeof(herald_component)) / sizeof(uint64_t) + 1, 0);
  auto* bytes = reinterpret_cast<unsigned char*>(storage.data());
  size_t offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    herald_component c = make_component(in, arena, sizes[i]);
    std::memcpy(bytes + offset, &c, std::min<size_t>(sizes[i], sizeof c));
    offset += sizes[i];
  }
  if (count > 0 && in.ConsumeIntegralInRange<int>(0, 7)) {
    d.components = reinterpret_cast<const herald_component*>(bytes);
    d.component_count = count - in.ConsumeIntegralInRange<uint32_t>(0, count);
  } else {
    d.components = nullptr;
    d.component_count = small_or_any(in, 3);
  }

  // The descriptor itself is at most as long as this host's struct.
  herald::Result<std::shared_ptr<herald::LoadedPlugin>> plugin =
      herald::plugin_from_descriptor("fuzz.so", in.ConsumeBool() ? &d : nullptr);
  if (!plugin) {
    if (plugin.status().message().rfind("fuzz.so: ", 0) != 0) __builtin_trap();
    return 0;
  }
  herald::PluginRegistry registry;
  if (!registry.add(*plugin)) __builtin_trap();
  (void)registry.describe();
  (void)registry.resolve((*plugin)->name, "publish");
  return 0;
}
