// Built-in draft step: the text must fit the account's network and avoid forbidden words.
#include <herald/plugin.hpp>

#include <algorithm>
#include <cctype>

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
       "character limit; 0 uses the account's (x 280, mastodon 500, bluesky 300, linkedin 3000)"},
      {"forbidden_words", HERALD_TYPE_STRING_LIST, 0, "[]",
       "words that must not appear (whole words, any case)"},
      {"min_length", HERALD_TYPE_INT, 0, "1", "shortest acceptable text, in characters"},
  }};

  explicit DraftCheck(herald::Config& config)
      : limit_(config.integer("limit")),
        forbidden_(config.strings("forbidden_words")),
        min_length_(config.integer("min_length", 1)) {
    if (limit_ < 0) throw std::invalid_argument("limit must be 0 or more");
  }

  void run(herald::Context& post) override {
    std::string text = post.text();
    int64_t limit = limit_ > 0 ? limit_ : std::stoll("0" + post.field("char_limit"));
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

}  // namespace

HERALD_PLUGIN("draft", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(DraftCheck, HERALD_KIND_DRAFT, "check",
                               "length against the account's network and forbidden words"))
