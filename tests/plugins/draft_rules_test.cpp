// The draft rules, table by table, in every language Herald knows; and the thread splitter with
// the host's own counting and split points.
#include "draft/rules.hpp"
#include "text/measure.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::draft {
namespace {

std::vector<std::string> flagged(const std::string& text, std::vector<std::string> languages) {
  VoiceOptions options;
  options.languages = std::move(languages);
  std::vector<std::string> out;
  for (const Finding& f : check_voice(text, options)) {
    EXPECT_LE(f.end, text.size());
    out.push_back(text.substr(f.start, f.end - f.start));
  }
  return out;
}

struct VoiceCase {
  const char* language;
  const char* text;
  std::vector<std::string> expected;  // the spans flagged, in order
};

class VoiceTable : public testing::TestWithParam<VoiceCase> {};

TEST_P(VoiceTable, FlagsFirstPersonSingularOnly) {
  const VoiceCase& c = GetParam();
  EXPECT_EQ(flagged(c.text, {c.language}), c.expected) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Languages, VoiceTable,
    testing::Values(
        // English, and the things that look like "I" but are not.
        VoiceCase{"en", "I think my team did well", {"I", "my"}},
        VoiceCase{"en", "We think our team did well", {}},
        VoiceCase{"en", "I'm proud; give me a call", {"I", "me"}},
        VoiceCase{"en", "Read Part I of the series on the new iPhone", {}},
        VoiceCase{"en", "World War I ended in 1918; Henry I was king", {}},
        VoiceCase{"en", "Fast I/O on the I-95 corridor", {}},
        VoiceCase{"en", "Our CEO said \"I love this team\" on stage", {}},
        VoiceCase{"en", "She said \xE2\x80\x9CI am proud\xE2\x80\x9D and I agree", {"I"}},
        VoiceCase{"en", "Phases I, II and III are done", {}},
        // French, with elision.
        VoiceCase{"fr", "Je pense que j'aime mon \xC3\xA9quipe", {"Je", "j'", "mon"}},
        VoiceCase{"fr", "Nous pensons que notre \xC3\xA9quipe est pr\xC3\xAAte", {}},
        VoiceCase{"fr", "\xC2\xAB Je suis fier \xC2\xBB, a dit le directeur", {}},
        // Ukrainian.
        VoiceCase{"uk",
                  "\xD0\xAF \xD0\xB4\xD1\x83\xD0\xBC\xD0\xB0\xD1\x8E, \xD1\x89\xD0\xBE "
                  "\xD0\xBC\xD0\xBE\xD1\x8F \xD0\xBA\xD0\xBE\xD0\xBC\xD0\xB0\xD0\xBD"
                  "\xD0\xB4\xD0\xB0 \xD0\xBD\xD0\xB0\xD0\xB9\xD0\xBA\xD1\x80\xD0\xB0"
                  "\xD1\x89\xD0\xB0",  // Я думаю, що моя команда найкраща
                  {"\xD0\xAF", "\xD0\xBC\xD0\xBE\xD1\x8F"}},
        VoiceCase{"uk",
                  "\xD0\x9C\xD0\xB8 \xD0\xB4\xD1\x83\xD0\xBC\xD0\xB0\xD1\x94\xD0\xBC"
                  "\xD0\xBE",  // Ми думаємо
                  {}},
        // Norwegian.
        VoiceCase{"no", "Jeg tror teamet mitt er best", {"Jeg", "mitt"}},
        VoiceCase{"no", "Vi tror teamet v\xC3\xA5rt er best", {}},
        // Greek: "με" is also "with", so only unambiguous forms are flagged.
        VoiceCase{"el",
                  "\xCE\x95\xCE\xB3\xCF\x8E \xCF\x80\xCE\xB9\xCF\x83\xCF\x84\xCE\xB5\xCF\x8D"
                  "\xCF\x89 \xCF\x83\xCF\x84\xCE\xB7\xCE\xBD \xCE\xBF\xCE\xBC\xCE\xAC\xCE\xB4"
                  "\xCE\xB1 \xCE\xBC\xCE\xBF\xCF\x85",  // Εγώ πιστεύω στην ομάδα μου
                  {"\xCE\x95\xCE\xB3\xCF\x8E", "\xCE\xBC\xCE\xBF\xCF\x85"}},
        VoiceCase{"el",
                  "\xCE\x95\xCE\xAF\xCE\xBC\xCE\xB1\xCF\x83\xCF\x84\xCE\xB5 \xCE\xBC\xCE\xB5 "
                  "\xCF\x84\xCE\xBF\xCF\x85\xCF\x82 \xCF\x80\xCE\xB5\xCE\xBB\xCE\xAC\xCF\x84"
                  "\xCE\xB5\xCF\x82",  // Είμαστε με τους πελάτες
                  {}},
        // German.
        VoiceCase{"de", "Ich glaube, mein Team ist das beste", {"Ich", "mein"}},
        VoiceCase{"de", "Wir glauben an unser Team", {}},
        // Spanish.
        VoiceCase{"es", "Yo creo que mi equipo es el mejor", {"Yo", "mi"}},
        VoiceCase{"es", "Creemos en nuestro equipo", {}}));

TEST(Voice, OnlyTheConfiguredLanguagesAreChecked) {
  // "min" is Norwegian for "my" but English for minutes.
  EXPECT_TRUE(flagged("Ready in 5 min", {"en"}).empty());
  EXPECT_EQ(flagged("Ready in 5 min", {"en", "no"}), std::vector<std::string>{"min"});
}

TEST(Voice, CompanyWordsAndExceptions) {
  VoiceOptions options;
  options.extra_words = {"yours truly"};
  options.allowed_words = {"me"};
  auto findings = check_voice("Send it to me, yours truly", options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].message.substr(0, 13), "'yours truly'");
  EXPECT_THROW(check_voice("x", VoiceOptions{{"xx"}, {}, {}, {}, Severity::warning}),
               std::invalid_argument);
}

std::vector<std::string> rules_of(const std::string& text, const StyleOptions& options = {},
                                  const std::vector<Span>& linked = {}) {
  std::vector<std::string> out;
  for (const Finding& f : check_style(text, linked, options)) out.push_back(f.rule);
  return out;
}

struct StyleCase {
  const char* text;
  std::vector<std::string> rules;
};

class StyleTable : public testing::TestWithParam<StyleCase> {};

TEST_P(StyleTable, Findings) {
  EXPECT_EQ(rules_of(GetParam().text), GetParam().rules) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Texts, StyleTable,
    testing::Values(StyleCase{"We shipped the new release today.", {}},
                    StyleCase{"thx for reading, pls share", {"abbreviation", "abbreviation"}},
                    StyleCase{"WE SHIPPED THE NEW RELEASE TODAY", {"shouting"}},
                    StyleCase{"NASA and ESA launch today with our team", {}},
                    StyleCase{"Wow!! Really?!?", {"punctuation", "punctuation"}},
                    StyleCase{"Wait for it...", {}}, StyleCase{"Wait for it.....", {"punctuation"}},
                    StyleCase{"Buy now: limited time offer", {"sales", "sales"}},
                    // French, German, Ukrainian and Greek capitals count too.
                    StyleCase{"NOUS SOMMES TR\xC3\x88S FIERS DE NOTRE \xC3\x89QUIPE", {"shouting"}},
                    StyleCase{"WIR SIND SEHR STOLZ AUF UNSER TEAM", {"shouting"}},
                    StyleCase{"МИ ДУЖЕ ПИШАЄМОСЯ НАШОЮ КОМАНДОЮ", {"shouting"}},
                    StyleCase{"Estamos muy orgullosos ¡¡de nuestro equipo!!", {"punctuation"}}));

TEST(Style, HashtagsLinksAndErrorRules) {
  const std::string text = "Launch #a #b #c #d today";
  std::vector<Span> tags = {
      {"hashtag", 7, 9}, {"hashtag", 10, 12}, {"hashtag", 13, 15}, {"hashtag", 16, 18}};
  StyleOptions options;
  auto findings = check_style(text, tags, options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "hashtags");
  EXPECT_EQ(findings[0].start, 16u) << "the span starts at the first hashtag too many";

  options.require_link = true;
  findings = check_style("No link here", {}, options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::error);
  EXPECT_TRUE(check_style("See it", {{"url", 0, 3}}, options).empty());

  // Capitals inside a link or tag are not shouting.
  const std::string shouty_url = "see HTTPS://EXAMPLE.COM/ABCDEFGHIJKLMNOP now";
  EXPECT_TRUE(rules_of(shouty_url, {}, {{"url", 4, 39}}).empty());
}

TEST(Signature, InitialsOfNames) {
  EXPECT_EQ(initials_of("Mo Okafor"), "mo");
  EXPECT_EQ(initials_of("Ana Lima"), "al");
  EXPECT_EQ(initials_of("\xC3\x89lodie Durand"),
            "\xC3\xA9"
            "d");
  EXPECT_EQ(initials_of("\xD0\x9E\xD0\xBA\xD1\x81\xD0\xB0\xD0\xBD\xD0\xB0 "
                        "\xD0\x9F\xD0\xB5\xD1\x82\xD1\x80\xD0\xB5\xD0\xBD\xD0\xBA\xD0\xBE"),
            "\xD0\xBE\xD0\xBF");  // Оксана Петренко -> оп
}

TEST(Finding, JsonCarriesTheSpanAndExcerpt) {
  Finding f{"voice", Severity::error, "say \"we\"", 0, 1};
  EXPECT_EQ(f.to_json("I do"),
            "{\"rule\":\"voice\",\"severity\":\"error\",\"message\":\"say \\\"we\\\"\","
            "\"start\":0,\"end\":1,\"excerpt\":\"I\"}");
}

// --- Thread, with the host's counting ---------------------------------------------------------

Split split_for(text::Network network, const std::string& text, int64_t limit = 0) {
  auto breaks = text::break_opportunities(network, text);
  EXPECT_TRUE(breaks.is_ok());
  return split_thread(
      text, breaks.is_ok() ? *breaks : std::vector<size_t>{},
      [&](std::string_view part) { return text::measure(network, part, limit)->valid; }, {});
}

TEST(Thread, SplitsAtWordsAndNumbersTheParts) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
  text += "https://example.com/a/long/path/that/must/stay/whole";
  Split split = split_for(text::Network::x, text, 100);
  ASSERT_TRUE(split.findings.empty());
  ASSERT_GE(split.parts.size(), 4u);
  const std::string n = std::to_string(split.parts.size());
  for (size_t i = 0; i < split.parts.size(); ++i) {
    const std::string& part = split.parts[i];
    auto m = text::measure(text::Network::x, part, 100);
    EXPECT_TRUE(m->valid) << part;
    const std::string suffix = " " + std::to_string(i + 1) + "/" + n;
    EXPECT_EQ(part.substr(part.size() - suffix.size()), suffix);
    std::string body = part.substr(0, part.size() - suffix.size());
    EXPECT_NE(body.back(), ' ');
    // Every part ends with a whole word from the text.
    EXPECT_TRUE(text.find(body) != std::string::npos) << body;
  }
  EXPECT_NE(split.parts.back().find("https://example.com/a/long/path/that/must/stay/whole"),
            std::string::npos)
      << "the URL is never cut";
}

TEST(Thread, NeverCutsInsideAGraphemeOrACjkWord) {
  // Family emoji (one grapheme of 11 UTF-16 units) and Japanese text without spaces.
  std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  std::string text;
  for (int i = 0; i < 200; ++i) text += (i % 3 == 0) ? family : "\xE6\x97\xA5";  // 日
  Split split = split_for(text::Network::bluesky, text);
  ASSERT_TRUE(split.findings.empty());
  ASSERT_GE(split.parts.size(), 1u);
  std::string rejoined;
  for (const std::string& part : split.parts) {
    std::string body = part.substr(0, part.rfind(' '));
    EXPECT_TRUE(text::measure(text::Network::bluesky, part)->valid);
    rejoined += body;
  }
  EXPECT_EQ(rejoined, text) << "nothing lost or cut in half";
}

TEST(Thread, AStretchThatCannotFitIsAnError) {
  std::string url = "https://example.com/" + std::string(400, 'a');
  // Bluesky counts a link in full, so 420 characters cannot fit in 50.
  Split split = split_for(text::Network::bluesky, "See " + url + " now", 50);
  EXPECT_TRUE(split.parts.empty());
  ASSERT_EQ(split.findings.size(), 1u);
  EXPECT_EQ(split.findings[0].severity, Severity::error);
}

TEST(Thread, PartsRoundTrip) {
  EXPECT_EQ(thread_parts("a\x1E"
                         "b\x1E"
                         "c"),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(thread_parts("plain"), std::vector<std::string>{"plain"});
}

}  // namespace
}  // namespace herald::draft
