// The loader refuses every kind of bad plugin with a reason a plugin author can act on, and
// loads good ones, including one built for an older, shorter descriptor.
#include "plugins/registry.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

std::string fixture(const std::string& name) {
  return std::string(FIXTURE_DIR) + "/herald_fixture_" + name + ".so";
}

TEST(Loader, LoadsAGoodPlugin) {
  auto plugin = load_plugin(fixture("good"));
  ASSERT_TRUE(plugin) << plugin.status().message();
  EXPECT_EQ((*plugin)->name, "fixture_good");
  EXPECT_EQ((*plugin)->version, "1.2.3");
  EXPECT_EQ((*plugin)->license, "MIT");
  ASSERT_EQ((*plugin)->components.size(), 1u);
  EXPECT_EQ(kind_name((*plugin)->components[0].kind), "draft");
  EXPECT_EQ((*plugin)->components[0].config_key_count, 1u);
}

TEST(Loader, LoadsAnOlderShorterDescriptor) {
  auto plugin = load_plugin(fixture("old_descriptor"));
  ASSERT_TRUE(plugin) << plugin.status().message();
  EXPECT_EQ((*plugin)->abi_minor, 0);
  EXPECT_EQ((*plugin)->description, "");  // a field the plugin's ABI did not have
}

TEST(Loader, LoadsAComponentBuiltForAnOlderAbiWithoutFlush) {
  auto plugin = load_plugin(fixture("old_component"));
  ASSERT_TRUE(plugin) << plugin.status().message();
  EXPECT_EQ((*plugin)->abi_minor, 9);
  ASSERT_EQ((*plugin)->components.size(), 1u);
  const herald_component& component = (*plugin)->components[0];
  EXPECT_NE(component.moderate, nullptr) << "a field of ABI 1.9";
  EXPECT_EQ(component.flush, nullptr) << "a field the component's ABI did not have";
}

TEST(Loader, OffersFlushOnlyForAStepThatOverridesIt) {
  auto plain = load_plugin(fixture("good"));
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_EQ((*plain)->components[0].flush, nullptr);
  auto probe = load_plugin(std::string(FIXTURE_DIR) + "/flush/herald_flush_probe.so");
  ASSERT_TRUE(probe) << probe.status().message();
  EXPECT_NE((*probe)->components[0].flush, nullptr);
}

struct Refusal {
  std::string fixture;
  std::vector<std::string> message_parts;
};

void PrintTo(const Refusal& refusal, std::ostream* out) {
  *out << refusal.fixture;
}

class LoaderRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(LoaderRefuses, WithAClearReason) {
  const Refusal& refusal = GetParam();
  auto plugin = load_plugin(fixture(refusal.fixture));
  ASSERT_FALSE(plugin) << refusal.fixture << " should have been refused";
  EXPECT_EQ(plugin.status().code(), ErrorCode::plugin);
  for (const auto& part : refusal.message_parts)
    EXPECT_NE(plugin.status().message().find(part), std::string::npos)
        << "message: " << plugin.status().message() << "\nmissing: " << part;
}

// This host's ABI as the loader words it, e.g. "ABI 1.4".
const std::string kHostAbi =
    "ABI " + std::to_string(HERALD_ABI_MAJOR) + "." + std::to_string(HERALD_ABI_MINOR);

INSTANTIATE_TEST_SUITE_P(
    BadPlugins, LoaderRefuses,
    ::testing::Values(
        Refusal{"wrong_major",
                {"built for Herald plugin ABI 2", "this host speaks " + kHostAbi, "rebuild"}},
        Refusal{
            "newer_minor",
            {"ABI " + std::to_string(HERALD_ABI_MAJOR) + "." + std::to_string(HERALD_ABI_MINOR + 1),
             "newer than this host's " + kHostAbi, "upgrade Herald"}},
        Refusal{"missing_entry",
                {"no Herald entry symbol 'herald_plugin_v1'", "not a Herald plugin"}},
        Refusal{"null_run", {"component 'echo'", "missing its required run function"}},
        Refusal{"bad_magic", {"wrong magic number"}}),
    [](const auto& info) { return info.param.fixture; });

TEST(Loader, RefusesAFileThatIsNotASharedLibrary) {
  testing::TempDir dir;
  std::string path = dir.write("notes.so", "this is just text, not a library\n");
  auto plugin = load_plugin(path);
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.status().message().find("not a shared library"), std::string::npos)
      << plugin.status().message();
  EXPECT_NE(plugin.status().message().find(path), std::string::npos);
}

TEST(Loader, RefusesAMissingFile) {
  auto plugin = load_plugin("/nonexistent/herald_nothing.so");
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.status().message().find("no such plugin file"), std::string::npos);
}

TEST(Loader, RefusesTwoPluginsWithOneName) {
  PluginRegistry registry;
  Status status = registry.load_paths({std::string(FIXTURE_DIR) + "/twins"});
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("two plugins are named 'twin'"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("herald_twin_a.so"), std::string::npos);
  EXPECT_NE(status.message().find("herald_twin_b.so"), std::string::npos);
}

TEST(Loader, FindsComponentsByPluginAndKind) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_paths({BUILTIN_PLUGIN_DIR}));
  EXPECT_EQ(registry.plugins().size(), 16u);
  auto found = registry.resolve("outbox", "publish");
  ASSERT_TRUE(found) << found.status().message();
  EXPECT_STREQ(found->second->name, "file");
  auto wrong_kind = registry.resolve("outbox", "approve");
  ASSERT_FALSE(wrong_kind);
  EXPECT_NE(wrong_kind.status().message().find("has no approve component"), std::string::npos);
  auto typo = registry.resolve("outbx", "publish");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.status().message().find("did you mean 'outbox'"), std::string::npos);
}

}  // namespace
}  // namespace herald
