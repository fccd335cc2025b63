#include "rules.hpp"

#include <herald/json.hpp>

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace herald::draft {
namespace {

std::string fold(std::string_view utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  text.foldCase();
  std::string out;
  text.toUTF8String(out);
  return out;
}

/// A word of the text: its UTF-8 span and its case-folded form.
struct Word {
  size_t start;
  size_t end;
  std::string folded;
};

/// The words of `text` (Unicode word boundaries), with UTF-8 offsets.
std::vector<Word> words_of(std::string_view text) {
  std::vector<Word> words;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) throw std::runtime_error("ICU has no word break rules");
  it->setText(u);
  // UTF-16 index -> UTF-8 offset, walked along with the iterator.
  size_t bytes = 0;
  int32_t at16 = 0;
  auto advance_to = [&](int32_t target) {
    while (at16 < target) {
      UChar32 c = u.char32At(at16);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      at16 += U16_LENGTH(c);
    }
    return bytes;
  };
  int32_t start = it->first();
  for (int32_t end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
    if (it->getRuleStatus() == UBRK_WORD_NONE) continue;
    size_t s = advance_to(start);
    size_t e = advance_to(end);
    words.push_back({s, e, fold(text.substr(s, e - s))});
  }
  return words;
}

bool is_apostrophe(std::string_view text, size_t at, size_t* length) {
  if (text.substr(at, 1) == "'") return *length = 1, true;
  if (text.substr(at, 3) == "\xE2\x80\x99") return *length = 3, true;  // ’
  return false;
}

/// Spans of quoted speech: "…", “…”, „…“, «…», ‹…›, 「…」, and ‘…’ when the opening mark starts
/// a word. Words inside them are someone else's.
std::vector<std::pair<size_t, size_t>> quoted_spans(std::string_view text) {
  struct Pair {
    std::string_view open, close;
  };
  static const Pair pairs[] = {{"\"", "\""},
                               {"\xE2\x80\x9C", "\xE2\x80\x9D"},   // “ ”
                               {"\xE2\x80\x9E", "\xE2\x80\x9C"},   // „ “
                               {"\xC2\xAB", "\xC2\xBB"},           // « »
                               {"\xE2\x80\xB9", "\xE2\x80\xBA"},   // ‹ ›
                               {"\xE3\x80\x8C", "\xE3\x80\x8D"},   // 「 」
                               {"\xE2\x80\x98", "\xE2\x80\x99"}};  // ‘ ’
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const Pair& p : pairs) {
      if (text.substr(i, p.open.size()) != p.open) continue;
      bool starts_word = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n' ||
                         text[i - 1] == '(' || text[i - 1] == '\t';
      if (p.open == "\xE2\x80\x98" && !starts_word) continue;
      size_t close = text.find(p.close, i + p.open.size());
      // A closing ’ followed by a letter is an apostrophe, not the end of the quote.
      while (p.close == "\xE2\x80\x99" && close != std::string_view::npos &&
             close + 3 < text.size() && std::isalpha(static_cast<unsigned char>(text[close + 3])))
        close = text.find(p.close, close + 3);
      if (close == std::string_view::npos) continue;
      spans.emplace_back(i, close + p.close.size());
      i = close + p.close.size();
      matched = true;
      break;
    }
    if (!matched) ++i;
  }
  return spans;
}

/// First-person singular words per language (case-folded). Elided forms end in an apostrophe.
const std::map<std::string, std::vector<std::string>>& first_person() {
  static const std::map<std::string, std::vector<std::string>> words = {
      {"en", {"i", "me", "my", "mine", "myself"}},
      {"fr", {"je", "j'", "moi", "me", "m'", "mon", "ma", "mes", "moi-même"}},
      {"uk",
       {"я", "мене", "мені", "мною", "мій", "моя", "моє", "мої", "мого", "моєї", "моєму", "моїй",
        "моїм", "моїх", "моїми", "моєю", "мою"}},
      {"no", {"jeg", "meg", "min", "mi", "mitt", "mine", "meg selv"}},
      // "με" is also the preposition "with", so it is not on the list.
      {"el", {"εγώ", "εμένα", "μου", "μ'", "δικός μου", "δική μου", "δικό μου"}},
      {"de", {"ich", "mich", "mir", "mein", "meine", "meinen", "meinem", "meiner", "meines"}},
      {"es", {"yo", "me", "mí", "mi", "mis", "conmigo", "mío", "mía", "míos", "mías"}},
  };
  return words;
}

const std::vector<std::string>& default_numeral_after() {
  static const std::vector<std::string> words = {
      "part",     "chapter", "phase",     "act",       "volume",    "vol",        "book",
      "season",   "episode", "title",     "article",   "section",   "schedule",   "annex",
      "appendix", "stage",   "level",     "tier",      "type",      "class",      "grade",
      "category", "war",     "series",    "mark",      "mk",        "generation", "gen",
      "division", "league",  "step",      "henry",     "louis",     "elizabeth",  "charles",
      "george",   "edward",  "james",     "william",   "richard",   "john",       "mary",
      "victoria", "peter",   "catherine", "alexander", "frederick", "philip",     "napoleon",
      "nicholas", "leopold", "pope",      "king",      "queen",     "emperor"};
  return words;
}

bool inside(const std::vector<std::pair<size_t, size_t>>& spans, size_t start, size_t end) {
  for (const auto& [s, e] : spans)
    if (start >= s && end <= e) return true;
  return false;
}

/// Whether a lone "I" at [start, end) is a numeral or part of a name rather than the pronoun.
bool i_is_not_pronoun(std::string_view text, const std::vector<Word>& words, size_t index,
                      const std::set<std::string>& numeral_after) {
  const Word& w = words[index];
  // "I/O", "I-95", "R&I", "AI/I", "I.V." name things; they are not the pronoun.
  char after = w.end < text.size() ? text[w.end] : ' ';
  char before = w.start > 0 ? text[w.start - 1] : ' ';
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (after == '/' || after == '-' || after == '&' || digit(after) || before == '/' ||
      before == '-' || before == '&' || before == '.')
    return true;
  if (after == '.' && w.end + 1 < text.size() &&
      std::isalpha(static_cast<unsigned char>(text[w.end + 1])))
    return true;
  // Only a capital I can be a numeral.
  if (text.substr(w.start, 1) != "I") return false;
  if (index > 0) {
    const Word& prev = words[index - 1];
    std::string_view gap = text.substr(prev.end, w.start - prev.end);
    if (gap == " " && numeral_after.count(prev.folded)) return true;
    // Roman numerals in a row: "I, II and III".
    if (prev.folded == "ii" || prev.folded == "iii" || prev.folded == "iv") return true;
  }
  if (index + 1 < words.size()) {
    const Word& next = words[index + 1];
    if (next.folded == "ii" || next.folded == "iii" || next.folded == "iv") return true;
  }
  return false;
}

bool ascii_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 || c == '_';
}

/// Finds `needle` (already folded) in `folded` as whole words; offsets are into `folded`.
std::vector<size_t> find_phrase(const std::string& folded, const std::string& needle) {
  std::vector<size_t> found;
  if (needle.empty()) return found;
  for (size_t at = folded.find(needle); at != std::string::npos; at = folded.find(needle, at + 1)) {
    bool starts = at == 0 || !ascii_word_char(folded[at - 1]) || !ascii_word_char(needle[0]);
    size_t end = at + needle.size();
    bool ends =
        end >= folded.size() || !ascii_word_char(folded[end]) || !ascii_word_char(needle.back());
    if (starts && ends) found.push_back(at);
  }
  return found;
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "warning";
}

Severity parse_severity(std::string_view name) {
  if (name == "info") return Severity::info;
  if (name == "warning") return Severity::warning;
  if (name == "error") return Severity::error;
  throw std::invalid_argument("severity must be info, warning or error, not '" + std::string(name) +
                              "'");
}

std::string Finding::to_json(std::string_view text) const {
  size_t s = std::min(start, text.size());
  size_t e = std::clamp(end, s, text.size());
  return json_line({{"rule", rule},
                    {"severity", severity_name(severity)},
                    {"message", message},
                    {"start", s},
                    {"end", e},
                    {"excerpt", text.substr(s, e - s)}});
}

const std::vector<std::string>& voice_languages() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> out;
    for (const auto& [code, words] : first_person()) out.push_back(code);
    return out;
  }();
  return codes;
}

std::vector<Finding> check_voice(std::string_view text, const VoiceOptions& options) {
  std::set<std::string> flagged;
  std::set<std::string> phrases;  // entries of more than one word
  for (const std::string& language : options.languages) {
    auto it = first_person().find(language);
    if (it == first_person().end())
      throw std::invalid_argument("no first-person word list for language '" + language + "'");
    for (const std::string& w : it->second)
      (w.find(' ') == std::string::npos ? flagged : phrases).insert(w);
  }
  for (const std::string& w : options.extra_words)
    (w.find(' ') == std::string::npos ? flagged : phrases).insert(fold(w));
  std::set<std::string> allowed;
  for (const std::string& w : options.allowed_words) allowed.insert(fold(w));
  std::set<std::string> numeral_after;
  for (const std::string& w :
       options.numeral_after.empty() ? default_numeral_after() : options.numeral_after)
    numeral_after.insert(fold(w));
  // Phrases are matched as single words (their first word) only when the whole phrase is there.
  const auto quotes = quoted_spans(text);
  const std::vector<Word> words = words_of(text);
  std::vector<Finding> findings;
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = words[i];
    if (inside(quotes, w.start, w.end) || allowed.count(w.folded)) continue;
    std::string candidate = w.folded;
    size_t end = w.end;
    // Elision and contractions: "j'ai" -> "j'", "I'm" -> "i".
    size_t apostrophe = 0;
    for (size_t k = w.start; k < w.end; ++k) {
      size_t length = 0;
      if (!is_apostrophe(text, k, &length)) continue;
      std::string head = fold(text.substr(w.start, k - w.start));
      if (flagged.count(head + "'")) {
        candidate = head + "'";
        end = k + length;
      } else if (flagged.count(head)) {
        candidate = head;
        end = k;
      }
      apostrophe = length;
      break;
    }
    if (apostrophe == 0 && i + 1 < words.size()) {
      // A two-word entry such as "meg selv" or "δικό μου".
      const Word& next = words[i + 1];
      if (text.substr(w.end, next.start - w.end) == " " &&
          phrases.count(w.folded + " " + next.folded)) {
        findings.push_back({"voice", options.severity,
                            "'" + std::string(text.substr(w.start, next.end - w.start)) +
                                "' speaks as I; a brand account speaks as we",
                            w.start, next.end});
        ++i;
        continue;
      }
    }
    if (!flagged.count(candidate)) continue;
    if (candidate == "i" && i_is_not_pronoun(text, words, i, numeral_after)) continue;
    findings.push_back({"voice", options.severity,
                        "'" + std::string(text.substr(w.start, end - w.start)) +
                            "' speaks as I; a brand account speaks as we",
                        w.start, end});
  }
  return findings;
}

std::vector<Finding> check_style(std::string_view text, const std::vector<Span>& linked,
                                 const StyleOptions& options) {
  std::vector<Finding> findings;
  auto severity = [&](const std::string& rule) {
    return options.error_rules.count(rule) ? Severity::error : Severity::warning;
  };
  auto is_linked = [&](size_t start, size_t end) {
    for (const Span& s : linked)
      if (start < s.end && end > s.start) return true;
    return false;
  };

  // Sloppy abbreviations, as whole words.
  std::set<std::string> abbreviations;
  for (const std::string& a : options.abbreviations) abbreviations.insert(fold(a));
  const std::vector<Word> words = words_of(text);
  for (const Word& w : words) {
    std::string candidate = w.folded;
    size_t end = w.end;
    if (end < text.size() && text[end] == '/' && abbreviations.count(candidate + "/")) {
      candidate += "/";
      ++end;
    }
    if (abbreviations.count(candidate) && !is_linked(w.start, end))
      findings.push_back({"abbreviation", severity("abbreviation"),
                          "'" + std::string(text.substr(w.start, end - w.start)) +
                              "' is too casual for a company account; write it out",
                          w.start, end});
  }

  // Shouting: the share of capitals among the letters outside links, mentions and tags.
  {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    int64_t letters = 0, capitals = 0;
    size_t byte = 0;
    for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
      UChar32 c = u.char32At(i);
      size_t width = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (u_isalpha(c) && !is_linked(byte, byte + width)) {
        ++letters;
        if (u_isupper(c)) ++capitals;
      }
      byte += width;
    }
    if (letters >= options.min_letters &&
        static_cast<double>(capitals) > options.max_capitals * static_cast<double>(letters))
      findings.push_back({"shouting", severity("shouting"),
                          std::to_string(capitals * 100 / letters) +
                              "% of the letters are capitals; that reads as shouting",
                          0, text.size()});
  }

  // Repeated punctuation: "!!", "?!?", "....".
  for (size_t i = 0; i < text.size();) {
    auto is_mark = [&](size_t at, size_t* width) {
      if (text[at] == '!' || text[at] == '?') return *width = 1, true;
      std::string_view s = text.substr(at, 3);
      if (s == "\xEF\xBC\x81" || s == "\xEF\xBC\x9F") return *width = 3, true;  // ！ ？
      return false;
    };
    size_t width = 0, end = i;
    int64_t count = 0;
    while (end < text.size() && is_mark(end, &width)) {
      end += width;
      ++count;
    }
    int64_t dots = 0;
    if (count == 0)
      while (end < text.size() && text[end] == '.') ++end, ++dots;
    if (count > options.max_repeated || dots > 3) {
      if (!is_linked(i, end))
        findings.push_back({"punctuation", severity("punctuation"),
                            "'" + std::string(text.substr(i, end - i)) + "': one mark is enough", i,
                            end});
    }
    i = end > i ? end : i + 1;
  }

  // Too many hashtags.
  int64_t hashtags = 0;
  for (const Span& s : linked) {
    if (s.type != "hashtag") continue;
    if (++hashtags == options.max_hashtags + 1)
      findings.push_back({"hashtags", severity("hashtags"),
                          "more than " + std::to_string(options.max_hashtags) +
                              " hashtags; keep the ones that matter",
                          s.start, text.size()});
  }

  // Sales language.
  std::string folded = fold(text);
  if (folded.size() == text.size()) {  // offsets line up only when folding kept the length
    for (const std::string& phrase : options.sales_phrases)
      for (size_t at : find_phrase(folded, fold(phrase)))
        findings.push_back(
            {"sales", severity("sales"),
             "'" + std::string(text.substr(at, phrase.size())) + "' is sales language", at,
             at + phrase.size()});
  } else {
    for (const std::string& phrase : options.sales_phrases)
      if (!find_phrase(folded, fold(phrase)).empty())
        findings.push_back(
            {"sales", severity("sales"), "'" + phrase + "' is sales language", 0, text.size()});
  }

  if (options.require_link &&
      std::none_of(linked.begin(), linked.end(), [](const Span& s) { return s.type == "url"; }))
    findings.push_back(
        {"link", severity("link"), "the post must contain a link", text.size(), text.size()});

  std::sort(findings.begin(), findings.end(),
            [](const Finding& a, const Finding& b) { return a.start < b.start; });
  return findings;
}

std::string initials_of(std::string_view name) {
  std::string out;
  for (const Word& w : words_of(name)) {
    icu::UnicodeString word = icu::UnicodeString::fromUTF8(w.folded);
    if (word.isEmpty()) continue;
    icu::UnicodeString first(word.char32At(0));
    first.toUTF8String(out);
  }
  return out;
}

std::vector<std::string> thread_parts(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(kThreadSeparator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

Split split_thread(std::string_view text, const std::vector<size_t>& breaks,
                   const std::function<bool(std::string_view)>& fits,
                   const ThreadOptions& options) {
  auto number = [&](int64_t i, const std::string& n) {
    std::string out = options.numbering;
    for (auto [key, value] : {std::pair<std::string, std::string>{"{i}", std::to_string(i)},
                              std::pair<std::string, std::string>{"{n}", n}}) {
      for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at))
        out.replace(at, key.size(), value), at += value.size();
    }
    return out;
  };
  auto trim_end = [](std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  };
  std::vector<size_t> cuts = breaks;
  cuts.push_back(text.size());
  // The part count is not known until the text is split, and its width changes how much fits:
  // split assuming a width, and again if the count needs more digits.
  for (std::string width_sample = "9";; width_sample += "9") {
    Split split;
    size_t start = 0;
    int64_t index = 0;
    while (start < text.size()) {
      ++index;
      size_t best = 0;
      for (size_t cut : cuts) {
        if (cut <= start) continue;
        std::string part(trim_end(text.substr(start, cut - start)));
        if (part.empty()) continue;
        if (!fits(part + number(index, width_sample))) break;
        best = cut;
      }
      if (best == 0) {
        size_t next = text.size();
        for (size_t cut : cuts)
          if (cut > start) {
            next = cut;
            break;
          }
        split.findings.push_back({"thread", Severity::error,
                                  "this stretch does not fit in one post even alone, and may "
                                  "not be cut inside a word, link or mention",
                                  start, next});
        split.parts.clear();
        return split;
      }
      split.parts.emplace_back(trim_end(text.substr(start, best - start)));
      start = best;
      while (start < text.size() && (text[start] == ' ' || text[start] == '\n')) ++start;
      if (index > options.max_parts) {
        split.parts.clear();
        split.findings.push_back(
            {"thread", Severity::error,
             "the thread would need more than " + std::to_string(options.max_parts) + " posts", 0,
             text.size()});
        return split;
      }
    }
    std::string n = std::to_string(split.parts.size());
    if (n.size() > width_sample.size()) continue;
    for (size_t i = 0; i < split.parts.size(); ++i)
      split.parts[i] += number(static_cast<int64_t>(i + 1), n);
    return split;
  }
}

}  // namespace herald::draft
