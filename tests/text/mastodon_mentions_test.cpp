// Mastodon's remote mentions found in one pass against the pattern itself, run by ICU's regex
// engine on many small texts made of what mentions are made of; and on a long user name, which
// the regex engine takes cubic time over.
#include "text/mastodon.hpp"
#include "text/measure.hpp"

#include <gtest/gtest.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace herald::text::mastodon {
namespace {

/// The validator's pattern, as ICU's regex engine runs it.
std::vector<RemoteMention> by_regex(std::u16string_view text) {
  static const std::unique_ptr<icu::RegexPattern> pattern = [] {
    UErrorCode status = U_ZERO_ERROR;
    UParseError where;
    return std::unique_ptr<icu::RegexPattern>(icu::RegexPattern::compile(
        icu::UnicodeString::fromUTF8("(?<![=/\\p{L}\\p{M}\\p{Nd}_])@([a-z0-9_]+(?:[a-z0-9_.\\-]+"
                                     "[a-z0-9_]+)?)@([\\p{L}\\p{M}\\p{Nd}_]+(?:[.\\-]+"
                                     "[\\p{L}\\p{M}\\p{Nd}_]+)*)"),
        UREGEX_CASE_INSENSITIVE, where, status));
  }();
  std::vector<RemoteMention> found;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input(false, text.data(), static_cast<int32_t>(text.size()));
  std::unique_ptr<icu::RegexMatcher> m(pattern->matcher(input, status));
  while (U_SUCCESS(status) && m->find(status)) {
    if (m->end(2, status) - m->start(2, status) > 253) continue;
    found.push_back({static_cast<size_t>(m->start(status)), static_cast<size_t>(m->end(1, status)),
                     static_cast<size_t>(m->end(status))});
  }
  return found;
}

std::string show(const std::vector<RemoteMention>& mentions) {
  std::string out;
  for (const auto& m : mentions)
    out += "[" + std::to_string(m.start) + "," + std::to_string(m.user_end) + "," +
           std::to_string(m.end) + ")";
  return out;
}

TEST(MastodonMentions, FindWhatThePatternFindsOnTextsMadeOfMentionParts) {
  // ASCII letters of both cases, the long s and the Kelvin sign (which fold to ASCII letters),
  // digits, `_ . - @ = /`, a space, an accented letter, a combining mark, an ideograph, a letter
  // outside the BMP, a lone surrogate and a dot that is not ASCII.
  const std::vector<std::u16string> pieces = {
      u"a",  u"B",      u"z",      u"_",          u".",      u"-",      u"@",  u"@",
      u"@",  u"=",      u"/",      u" ",          u"0",      u"9",      u"é",  u"\u0301",
      u"中", u"\u017f", u"\u212a", u"\U0001D400", u"\xD800", u"\u3002", u"ab", u"@a@b.c"};
  std::mt19937 random(20261207);
  size_t with_mentions = 0;
  for (int round = 0; round < 30000; ++round) {
    std::u16string text;
    const size_t length = 1 + random() % 24;
    for (size_t i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
    const auto want = by_regex(text);
    const auto got = remote_mentions(text);
    if (!want.empty()) ++with_mentions;
    ASSERT_EQ(show(got), show(want)) << "text of " << text.size() << " units, round " << round;
  }
  EXPECT_GT(with_mentions, 1000u) << "the texts should hold many mentions";
}

TEST(MastodonMentions, ADomainLongerThanAHostNameIsNoMention) {
  for (size_t length : {253u, 254u}) {
    std::u16string text = u"hi @ann@" + std::u16string(length, u'd') + u" there @bob@b.example";
    EXPECT_EQ(show(remote_mentions(text)), show(by_regex(text))) << length;
  }
}

TEST(MastodonMentions, ALongUserNameIsReadOnce) {
  // One `@` and a hundred thousand letters: the regex engine would try every split of them
  // (about 10^15 steps); one pass reads them once. There is no mention, and the text counts as
  // written.
  const std::string text = "@" + std::string(100'000, 'a');
  auto m = measure(Network::mastodon, text, 1'000'000);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->length, 100'001);
  const std::string remote = text + "@example.social";
  auto r = measure(Network::mastodon, remote, 1'000'000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 100'001) << "@user@domain counts as @user";
}

}  // namespace
}  // namespace herald::text::mastodon
