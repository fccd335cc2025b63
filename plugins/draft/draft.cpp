// Built-in draft steps: `check` (length and forbidden words), and the rule steps `length`,
// `voice`, `signature`, `style` and `thread`. The rule steps record each finding as a "finding"
// event (JSON with rule, severity, message and the span it is about) and reject the post when a
// finding is an error.
#include "rules.hpp"

#include <herald/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace {

/// Unicode code points in UTF-8 text (continuation bytes are not counted).
size_t count_code_points(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 || c == '_';
}

/// Finds `word` as a whole word, ignoring ASCII case. Returns its byte offset or npos.
size_t find_word(const std::string& lowered_text, const std::string& word) {
  std::string needle = lower_ascii(word);
  for (size_t at = lowered_text.find(needle); at != std::string::npos;
       at = lowered_text.find(needle, at + 1)) {
    bool starts = at == 0 || !is_word_char(lowered_text[at - 1]);
    size_t end = at + needle.size();
    bool ends = end >= lowered_text.size() || !is_word_char(lowered_text[end]);
    if (starts && ends) return at;
  }
  return std::string::npos;
}

class DraftCheck : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 3> config_keys{{
      {"limit", HERALD_TYPE_INT, 0, "0",
       "plain character limit (code points); 0 leaves length to draft/length, which counts as "
       "each network does"},
      {"forbidden_words", HERALD_TYPE_STRING_LIST, 0, "[]",
       "words that must not appear (whole words, any case)"},
      {"min_length", HERALD_TYPE_INT, 0, "1", "shortest acceptable text, in characters"},
  }};

  explicit DraftCheck(herald::Config& config)
      : limit_(config.integer("limit")),
        forbidden_(config.strings("forbidden_words")),
        min_length_(config.integer("min_length", 1)) {
    if (limit_ < 0) config.error("limit", "limit must be 0 or more");
  }

  void run(herald::Context& post) override {
    std::string text = post.text();
    const int64_t limit = limit_;
    auto length = static_cast<int64_t>(count_code_points(text));
    if (limit > 0 && length > limit) {
      post.reject("text is " + std::to_string(length) + " characters; " + post.network() +
                  " account '" + post.account() + "' allows " + std::to_string(limit));
      return;
    }
    if (length < min_length_) {
      post.reject("text is " + std::to_string(length) + " characters; at least " +
                  std::to_string(min_length_) + " needed");
      return;
    }
    std::string lowered = lower_ascii(text);
    for (const std::string& word : forbidden_) {
      if (size_t at = find_word(lowered, word); at != std::string::npos) {
        post.reject("forbidden word '" + word + "' at byte " + std::to_string(at));
        return;
      }
    }
    post.advance();
  }

 private:
  int64_t limit_;
  std::vector<std::string> forbidden_;
  int64_t min_length_;
};

using herald::draft::Finding;
using herald::draft::Severity;

/// Records the findings and decides: an error rejects the post, anything else lets it go on.
void report(herald::Context& post, const std::string& text, const std::vector<Finding>& findings) {
  std::string errors;
  size_t error_count = 0;
  for (const Finding& f : findings) {
    post.emit("finding", f.to_json(text));
    if (f.severity != Severity::error) continue;
    if (++error_count == 1) errors = f.message;
  }
  if (error_count == 0) {
    // Warnings and notes go on with the post and show in its audit trail.
    std::string note;
    for (const Finding& f : findings)
      note += (note.empty() ? "" : "; ") + std::string(herald::draft::severity_name(f.severity)) +
              ": " + f.message;
    post.advance(note);
    return;
  }
  if (error_count > 1) errors += " (and " + std::to_string(error_count - 1) + " more)";
  post.reject(errors);
}

Severity severity_key(herald::Config& config) {
  return herald::draft::parse_severity(config.string("severity"));
}

int64_t account_limit(herald::Context& post) {
  return std::stoll("0" + post.field("char_limit"));
}

std::vector<herald::draft::Span> linked_spans(herald::Context& post, const std::string& text) {
  std::vector<herald::draft::Span> spans;
  for (const herald::TextEntity& e : post.text_entities(post.network(), text))
    spans.push_back({e.type, e.start, e.end});
  return spans;
}

/// The text must fit the account's network as that network counts it (every part of a thread).
class Length : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 1> config_keys{{
      {"limit", HERALD_TYPE_INT, 0, "0",
       "limit to check against; 0 uses the account's char_limit, else the network's"},
  }};
  explicit Length(herald::Config& config) : limit_(config.integer("limit")) {
    if (limit_ < 0) config.error("limit", "limit must be 0 or more");
  }

  void run(herald::Context& post) override {
    const std::string text = post.text();
    const std::string network = post.network();
    const int64_t limit = limit_ > 0 ? limit_ : account_limit(post);
    std::vector<Finding> findings;
    const std::vector<std::string> parts = herald::draft::thread_parts(text);
    size_t offset = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      herald::TextCount count = post.count_text(network, part, limit);
      std::string which = parts.size() > 1 ? "part " + std::to_string(i + 1) + " " : "";
      if (count.length == 0) {
        findings.push_back({"length", Severity::error, which + "is empty", offset, offset});
      } else if (!count.valid) {
        // The span is what does not fit: from the last split point that still fits.
        size_t fits_until = 0;
        for (size_t cut : post.text_breaks(network, part)) {
          if (!post.count_text(network, part.substr(0, cut), limit).valid) break;
          fits_until = cut;
        }
        std::string over = count.length > count.limit
                               ? std::to_string(count.length - count.limit) + " over"
                               : "not accepted";
        findings.push_back({"length", Severity::error,
                            which + "counts " + std::to_string(count.length) + " on " + network +
                                ", whose limit is " + std::to_string(count.limit) + " (" + over +
                                ")",
                            offset + fits_until, offset + part.size()});
      }
      offset += part.size() + 1;
    }
    report(post, text, findings);
  }

 private:
  int64_t limit_;
};

/// A brand account speaks as "we": flags first-person singular words.
class Voice : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 5> config_keys{{
      {"languages", HERALD_TYPE_STRING_LIST, 0, "[en]",
       "languages whose first-person words to flag: en, fr, uk, no, el, de, es"},
      {"extra_words", HERALD_TYPE_STRING_LIST, 0, "[]", "more words that speak as I"},
      {"allowed_words", HERALD_TYPE_STRING_LIST, 0, "[]", "words never to flag"},
      {"numeral_after", HERALD_TYPE_STRING_LIST, 0, "[]",
       "words after which a capital I is a numeral (default: Part, Chapter, World War, Henry...)"},
      {"severity", HERALD_TYPE_STRING, 0, "warning", "info, warning or error"},
  }};
  explicit Voice(herald::Config& config) {
    options_.languages = config.strings("languages");
    options_.extra_words = config.strings("extra_words");
    options_.allowed_words = config.strings("allowed_words");
    options_.numeral_after = config.strings("numeral_after");
    options_.severity = severity_key(config);
    herald::draft::check_voice("", options_);  // rejects unknown languages now
  }
  void run(herald::Context& post) override {
    const std::string text = post.text();
    report(post, text, herald::draft::check_voice(text, options_));
  }

 private:
  herald::draft::VoiceOptions options_;
};

/// Posts a principal writes on a team-run account end with the principal's initials.
class Signature : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"principals", HERALD_TYPE_STRING_LIST, 1, nullptr,
       "people who sign: a person id, or id=initials to choose the initials"},
      {"form", HERALD_TYPE_STRING, 0, " -{initials}",
       "how a signature is written; {initials} is replaced"},
  }};
  explicit Signature(herald::Config& config)
      : form_(config.string("form")), principals_(config.strings("principals")) {
    if (form_.find("{initials}") == std::string::npos)
      config.error("form", "form must contain {initials}, as in \" -{initials}\"");
    if (principals_.empty()) config.error("principals", "principals must name at least one person");
  }

  void run(herald::Context& post) override {
    std::map<std::string, std::string> signatures;  // person id -> signature
    const std::vector<herald::Person> people = post.people();
    for (const std::string& entry : principals_) {
      size_t eq = entry.find('=');
      std::string id = entry.substr(0, eq);
      std::string initials;
      if (eq != std::string::npos) {
        initials = entry.substr(eq + 1);
      } else {
        for (const herald::Person& p : people)
          if (p.id == id) initials = herald::draft::initials_of(p.name.empty() ? p.id : p.name);
        if (initials.empty())
          throw std::invalid_argument("principal '" + id + "' is not in the people section");
      }
      std::string signature = form_;
      signature.replace(signature.find("{initials}"), 10, initials);
      signatures[id] = signature;
    }
    std::string text = post.text();
    const std::string author = post.author();
    std::vector<Finding> findings;
    if (auto own = signatures.find(author); own != signatures.end()) {
      const std::string& signature = own->second;
      std::string trimmed = text;
      while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n'))
        trimmed.pop_back();
      bool signed_already =
          trimmed.size() >= signature.size() &&
          trimmed.compare(trimmed.size() - signature.size(), std::string::npos, signature) == 0;
      if (!signed_already) {
        text = trimmed + signature;
        post.set_field("text", text);
        findings.push_back({"signature", Severity::info, "added the signature '" + signature + "'",
                            trimmed.size(), text.size()});
      }
    }
    for (const auto& [id, signature] : signatures) {
      if (id == author) continue;
      for (size_t at = text.find(signature); at != std::string::npos;
           at = text.find(signature, at + 1)) {
        size_t end = at + signature.size();
        bool whole = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
        if (!whole) continue;
        findings.push_back({"signature", Severity::error,
                            "'" + signature + "' is " + id + "'s signature, but " +
                                (author.empty() ? std::string("someone else") : author) +
                                " wrote this post",
                            at, end});
      }
    }
    report(post, text, findings);
  }

 private:
  std::string form_;
  std::vector<std::string> principals_;
};

/// Writing quality: abbreviations, shouting, repeated punctuation, hashtags, sales language.
class Style : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 9> config_keys{{
      {"abbreviations", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "casual abbreviations to flag (default: u, pls, thx, b4, lol, imo...)"},
      {"max_capitals", HERALD_TYPE_DOUBLE, 0, "0.5", "share of capital letters that is shouting"},
      {"min_letters", HERALD_TYPE_INT, 0, "12", "texts with fewer letters are not judged"},
      {"max_repeated_punctuation", HERALD_TYPE_INT, 0, "1", "! or ? allowed in a row"},
      {"max_hashtags", HERALD_TYPE_INT, 0, "3", "hashtags allowed in one post"},
      {"sales_phrases", HERALD_TYPE_STRING_LIST, 0, nullptr,
       "phrases to flag (default: buy now, act now, limited time, guaranteed...)"},
      {"require_link", HERALD_TYPE_BOOL, 0, "false", "the post must contain a link"},
      {"error_rules", HERALD_TYPE_STRING_LIST, 0, "[link]",
       "rules whose findings block the post: abbreviation, shouting, punctuation, hashtags, "
       "sales, link"},
      {"severity", HERALD_TYPE_STRING, 0, "warning",
       "severity of the rules not in error_rules: info or warning"},
  }};
  explicit Style(herald::Config& config) {
    if (auto list = config.strings("abbreviations"); !list.empty()) options_.abbreviations = list;
    if (auto list = config.strings("sales_phrases"); !list.empty()) options_.sales_phrases = list;
    options_.max_capitals = config.number("max_capitals", 0.5);
    options_.min_letters = config.integer("min_letters", 12);
    options_.max_repeated = config.integer("max_repeated_punctuation", 1);
    options_.max_hashtags = config.integer("max_hashtags", 3);
    options_.require_link = config.boolean("require_link");
    auto rules = config.strings("error_rules");
    options_.error_rules = std::set<std::string>(rules.begin(), rules.end());
    for (const std::string& rule : rules)
      if (rule != "abbreviation" && rule != "shouting" && rule != "punctuation" &&
          rule != "hashtags" && rule != "sales" && rule != "link")
        config.error("error_rules", "unknown rule '" + rule + "'");
    if (options_.max_capitals <= 0 || options_.max_capitals > 1)
      config.error("max_capitals", "max_capitals must be above 0 and at most 1");
    other_ = severity_key(config);
    if (other_ == Severity::error)
      config.error("severity", "list the blocking rules in error_rules instead");
  }
  void run(herald::Context& post) override {
    const std::string text = post.text();
    std::vector<Finding> findings =
        herald::draft::check_style(text, linked_spans(post, text), options_);
    for (Finding& f : findings)
      if (f.severity != Severity::error) f.severity = other_;
    report(post, text, findings);
  }

 private:
  herald::draft::StyleOptions options_;
  Severity other_ = Severity::warning;
};

/// Splits a text too long for the account into a numbered thread.
class Thread : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 3> config_keys{{
      {"numbering", HERALD_TYPE_STRING, 0, " {i}/{n}", "appended to each part"},
      {"max_parts", HERALD_TYPE_INT, 0, "25", "longest thread allowed"},
      {"limit", HERALD_TYPE_INT, 0, "0",
       "limit per part; 0 uses the account's char_limit, else the network's"},
  }};
  explicit Thread(herald::Config& config) : limit_(config.integer("limit")) {
    options_.numbering = config.string("numbering");
    options_.max_parts = config.integer("max_parts", 25);
    if (options_.numbering.find("{i}") == std::string::npos)
      config.error("numbering", "numbering must contain {i}, as in \" {i}/{n}\"");
    if (options_.max_parts < 2) config.error("max_parts", "max_parts must be 2 or more");
  }
  void run(herald::Context& post) override {
    const std::string text = post.text();
    if (text.find(herald::draft::kThreadSeparator) != std::string::npos) {
      post.advance();  // already a thread (a run again after a crash)
      return;
    }
    const std::string network = post.network();
    const int64_t limit = limit_ > 0 ? limit_ : account_limit(post);
    if (post.count_text(network, text, limit).valid) {
      post.advance();
      return;
    }
    herald::draft::Split split = herald::draft::split_thread(
        text, post.text_breaks(network, text),
        [&](std::string_view part) { return post.count_text(network, part, limit).valid; },
        options_);
    std::vector<Finding> findings = split.findings;
    if (!split.parts.empty()) {
      std::string joined;
      for (const std::string& part : split.parts)
        joined += (joined.empty() ? "" : std::string(1, herald::draft::kThreadSeparator)) + part;
      post.set_field("text", joined);
      findings.push_back(
          {"thread", Severity::info,
           "split into a thread of " + std::to_string(split.parts.size()) + " posts for " + network,
           0, text.size()});
    }
    report(post, text, findings);
  }

 private:
  int64_t limit_;
  herald::draft::ThreadOptions options_;
};

}  // namespace

HERALD_PLUGIN(
    "draft", "0.2.0", "Apache-2.0",
    HERALD_COMPONENT(DraftCheck, HERALD_KIND_DRAFT, "check",
                     "length against the account's network and forbidden words"),
    HERALD_COMPONENT(Length, HERALD_KIND_DRAFT, "length",
                     "the text fits the account's network, counted as the network counts"),
    HERALD_COMPONENT(Voice, HERALD_KIND_DRAFT, "voice",
                     "flags first-person singular words: a brand account speaks as we"),
    HERALD_COMPONENT(Signature, HERALD_KIND_DRAFT, "signature",
                     "a principal's initials on their posts, and on no one else's"),
    HERALD_COMPONENT(Style, HERALD_KIND_DRAFT, "style",
                     "abbreviations, shouting, punctuation, hashtags, sales language, links"),
    HERALD_COMPONENT(Thread, HERALD_KIND_DRAFT, "thread",
                     "splits a text too long for the account into a numbered thread"))
