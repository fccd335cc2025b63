// The draft rules as plain functions over UTF-8 text, so that they can be tested without a host:
// brand voice, writing style, signatures and thread splitting. Each rule reports findings with a
// severity and the span of text (UTF-8 byte offsets) it is about.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace herald::draft {

enum class Severity { info, warning, error };

std::string_view severity_name(Severity severity);
/// "info", "warning" or "error"; throws std::invalid_argument for anything else.
Severity parse_severity(std::string_view name);

struct Finding {
  std::string rule;  // voice, style.shouting, signature, length, thread, ...
  Severity severity = Severity::warning;
  std::string message;
  size_t start = 0;  // UTF-8 byte offsets into the text, end exclusive
  size_t end = 0;

  /// {"rule":..,"severity":..,"message":..,"start":..,"end":..,"excerpt":..}
  std::string to_json(std::string_view text) const;
};

/// A span the network links (from the host's text rules), which style rules leave alone.
struct Span {
  std::string type;  // url, mention, hashtag, cashtag
  size_t start = 0;
  size_t end = 0;
};

// --- Voice ---------------------------------------------------------------------------------

/// The languages whose first-person singular words Herald knows.
const std::vector<std::string>& voice_languages();

struct VoiceOptions {
  std::vector<std::string> languages{"en"};  // codes from voice_languages()
  std::vector<std::string> extra_words;      // a company's own additions (any case)
  std::vector<std::string> allowed_words;    // never flagged
  /// Words after which a capital "I" is a numeral ("Part I", "World War I", "Henry I").
  std::vector<std::string> numeral_after;
  Severity severity = Severity::warning;
};

/// Words that speak as "I" rather than "we", outside quoted speech.
std::vector<Finding> check_voice(std::string_view text, const VoiceOptions& options);

// --- Style ---------------------------------------------------------------------------------

struct StyleOptions {
  std::vector<std::string> abbreviations{"u",   "ur",  "pls", "plz", "thx", "thnx", "tho",
                                         "b4",  "gr8", "l8r", "ppl", "cuz", "lol",  "omg",
                                         "idk", "tbh", "imo", "w/",  "msg"};
  double max_capitals = 0.5;  // share of capital letters above which the text shouts
  int64_t min_letters = 12;   // texts with fewer letters are not judged for shouting
  int64_t max_repeated = 1;   // "!!" is two in a row
  int64_t max_hashtags = 3;
  std::vector<std::string> sales_phrases{
      "buy now",   "act now",   "limited time", "order now",  "click here", "don't miss out",
      "100% free", "risk-free", "risk free",    "guaranteed", "best price", "once in a lifetime"};
  bool require_link = false;
  std::set<std::string> error_rules{"link"};  // rules whose findings block the post
};

std::vector<Finding> check_style(std::string_view text, const std::vector<Span>& linked,
                                 const StyleOptions& options);

// --- Signature -----------------------------------------------------------------------------

/// The initials of a name, lower case: "Mo Okafor" -> "mo", "Ana-Maria Lima" -> "al".
std::string initials_of(std::string_view name);

// --- Thread --------------------------------------------------------------------------------

/// Herald keeps a thread in the post's text as its parts joined by this separator (U+001E,
/// RECORD SEPARATOR), which no network accepts in a post.
inline constexpr char kThreadSeparator = '\x1E';
std::vector<std::string> thread_parts(std::string_view text);

struct ThreadOptions {
  std::string numbering = " {i}/{n}";  // appended to each part
  int64_t max_parts = 25;
};

/// Splits `text` into numbered parts that each fit (`fits` says whether a part does, as the
/// network counts), cutting only at `breaks` (UTF-8 offsets where a split is allowed).
/// Returns the parts, or nothing and a finding when some stretch cannot be made to fit.
struct Split {
  std::vector<std::string> parts;
  std::vector<Finding> findings;
};
Split split_thread(std::string_view text, const std::vector<size_t>& breaks,
                   const std::function<bool(std::string_view)>& fits, const ThreadOptions& options);

}  // namespace herald::draft
