// nfc_if_changed (text/unicode.cpp: the normalized prefix kept, the rest normalized after it)
// against ICU's normalizer on the whole text, on many texts made of what normalization acts on.
#include "text/unicode.hpp"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <random>
#include <string>
#include <vector>

namespace herald::text {
namespace {

std::u16string icu_nfc(const std::u16string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString out =
      nfc->normalize(icu::UnicodeString(text.data(), static_cast<int32_t>(text.size())), status);
  return std::u16string(out.getBuffer(), static_cast<size_t>(out.length()));
}

TEST(Nfc, IsWhatIcuGivesForTheWholeText) {
  // Letters that combine, combining marks in and out of canonical order, precomposed letters,
  // Hangul jamo and syllables, a singleton (U+212B Angstrom), a composition exclusion (U+0958),
  // a character NFC never keeps (U+0344), a Grantha vowel sign after its base, a lone
  // surrogate, and plain text between.
  const std::vector<std::u16string> pieces = {u"a",
                                              u"e",
                                              u"A",
                                              u" ",
                                              u"\u0301",
                                              u"\u0327",
                                              u"\u0323",
                                              u"\u0308",
                                              u"\u00e9",
                                              u"\u1e0a",
                                              u"\u1100",
                                              u"\u1161",
                                              u"\u11a8",
                                              u"\uac00",
                                              u"\u212b",
                                              u"\u0958",
                                              u"\u0344",
                                              u"\u0b47",
                                              u"\u0b3e",
                                              u"\xd800",
                                              u"text ",
                                              u"\u05b8\u05b7",
                                              u"o\u031b\u0323"};
  std::mt19937 random(20261207);
  size_t changed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::u16string text;
    const size_t length = 1 + random() % 16;
    for (size_t i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
    const std::u16string want = icu_nfc(text);
    const std::optional<std::u16string> got = nfc_if_changed(text);
    if (want == text) {
      EXPECT_FALSE(got) << "round " << round << ": nothing to change";
    } else {
      ++changed;
      ASSERT_TRUE(got) << "round " << round;
      ASSERT_EQ(*got, want) << "round " << round;
    }
    ASSERT_EQ(nfc(text), want) << "round " << round;
  }
  EXPECT_GT(changed, 10000u) << "most texts should need normalizing";
}

TEST(Nfc, ALongTextWithOneDecomposedAccentChangesOnlyThatAccent) {
  const std::u16string text = std::u16string(100'000, u'x') + u"e\u0301" + std::u16string(10, u'y');
  const auto got = nfc_if_changed(text);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::u16string(100'000, u'x') + u"\u00e9" + std::u16string(10, u'y'));
}

}  // namespace
}  // namespace herald::text
