// Counting one megabyte of the texts that are hardest for the URL matcher: runs of short labels
// and dots, where every position could start a domain. Each must take well under a second
// (docs/performance.md), for every network, and so must finding the entities in it.
#include "text/measure.hpp"
#include "text/unicode.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <string_view>

namespace {

constexpr size_t kBytes = 1 << 20;

struct Pattern {
  const char* name;
  std::string_view unit;         // repeated up to a megabyte
  std::string_view prefix = {};  // once, before it
};

// `a.a.a…` and its variants (mention, digits, accented and CJK labels, labels that end in a
// hyphen or hold an underscore, punycode prefixes), a domain with a TLD repeated, a URL path of
// back-to-back parenthesised groups, and one `@` before a megabyte of letters (a Mastodon user
// name that never ends).
constexpr std::array<Pattern, 11> kPatterns = {
    {{"a.", "a."},
     {"@a.", "@a."},
     {"1.", "1."},
     {"é.", "é."},
     {"中.", "中."},
     {"a-.", "a-."},
     {"a_a.", "a_a."},
     {"xn--a.", "xn--a."},
     {"a.com.", "a.com."},
     {"https://example.com/(a)(a)…", "(a)", "https://example.com/"},
     {"@aaa…", "a", "@"}}};

constexpr std::array<herald::text::Network, 3> kNetworks = {
    herald::text::Network::x, herald::text::Network::bluesky, herald::text::Network::mastodon};

std::string repeated(const Pattern& p) {
  std::string text(p.prefix);
  text.reserve(kBytes + p.unit.size());
  while (text.size() < kBytes) text += p.unit;
  return text;
}

void label(benchmark::State& state) {
  state.SetLabel(std::string(herald::text::network_name(kNetworks[state.range(1)])) + " " +
                 kPatterns[state.range(0)].name);
}

/// Runs `work` (counting, or finding the entities) on the megabyte of the pattern and network
/// the benchmark's two arguments choose.
template <typename Work>
void on_dot_dense_megabyte(benchmark::State& state, Work work) {
  const std::string text = repeated(kPatterns[state.range(0)]);
  const auto network = kNetworks[state.range(1)];
  for (auto _ : state) {
    auto result = work(network, text);
    if (!result) state.SkipWithError("the text rules failed");
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  label(state);
}

void BM_CountDotDenseMegabyte(benchmark::State& state) {
  on_dot_dense_megabyte(state, [](herald::text::Network network, const std::string& text) {
    return herald::text::measure(network, text);
  });
}
BENCHMARK(BM_CountDotDenseMegabyte)
    ->ArgsProduct({benchmark::CreateDenseRange(0, kPatterns.size() - 1, 1),
                   benchmark::CreateDenseRange(0, kNetworks.size() - 1, 1)})
    ->Unit(benchmark::kMillisecond);

void BM_EntitiesDotDenseMegabyte(benchmark::State& state) {
  on_dot_dense_megabyte(state, [](herald::text::Network network, const std::string& text) {
    return herald::text::entities(network, text);
  });
}
BENCHMARK(BM_EntitiesDotDenseMegabyte)
    ->ArgsProduct({benchmark::CreateDenseRange(0, kPatterns.size() - 1, 1),
                   benchmark::CreateDenseRange(0, kNetworks.size() - 1, 1)})
    ->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

/// A megabyte of words in scripts whose graphemes join several code points (Devanagari and
/// Khmer conjuncts, Hangul jamo, emoji with skin tones and joiners), with spaces between.
std::u16string mixed_clusters() {
  const std::u16string words[] = {u"\u0915\u094D\u0937\u0924\u094D\u0930\u093F\u092F",
                                  u"\u1780\u17D2\u179A\u17BB\u1798",
                                  u"\u1100\u1161\u11A8\u1102\u1165",
                                  u"\U0001F44D\U0001F3FD\u200D\u2642\uFE0F",
                                  u"\U0001F468\u200D\U0001F469\u200D\U0001F467",
                                  u"\u0E01\u0E34\u0E19\u0E02\u0E49\u0E32\u0E27"};
  std::u16string text;
  for (size_t i = 0; text.size() * 2 < kBytes; ++i) text += words[i % 6] + u" ";
  return text;
}

void BM_GraphemesOfAMegabyte(benchmark::State& state) {
  const std::u16string text = mixed_clusters();
  const bool unicode17 = state.range(0) == 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(unicode17 ? herald::text::grapheme_count(text)
                                       : herald::text::system_grapheme_count(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size() * 2));
  state.SetLabel(unicode17 ? "Unicode 17 tables (Bluesky)" : "system ICU 72 (Mastodon)");
}
BENCHMARK(BM_GraphemesOfAMegabyte)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
