#include "text/grapheme.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::text::grapheme {
namespace {

constexpr const char* kClassData =
#include "grapheme-break-17.txt.inc"
    ;

/// Grapheme_Cluster_Break, in the low four bits of a class.
enum Break : uint8_t {
  Other,
  CR,
  LF,
  Control,
  Extend,
  ZWJ,
  RegionalIndicator,
  Prepend,
  SpacingMark,
  L,
  V,
  T,
  LV,
  LVT
};
constexpr uint8_t kBreakMask = 0x0F;
constexpr uint8_t kPictographic = 0x10;  // Extended_Pictographic
// Indic_Conjunct_Break, in two bits.
constexpr uint8_t kConjunctMask = 0x60;
constexpr uint8_t kLinker = 0x20;
constexpr uint8_t kConsonant = 0x40;
constexpr uint8_t kConjunctExtend = 0x60;

uint8_t parse_class(const std::string& name) {
  static const std::map<std::string, uint8_t> classes = {
      {"XX", Other},
      {"CR", CR},
      {"LF", LF},
      {"CN", Control},
      {"EX", Extend},
      {"ZWJ", ZWJ},
      {"RI", RegionalIndicator},
      {"PP", Prepend},
      {"SM", SpacingMark},
      {"L", L},
      {"V", V},
      {"T", T},
      {"LV", LV},
      {"LVT", LVT},
      {"XX.pict", Other | kPictographic},
      {"XX.consonant", Other | kConsonant},
      {"EX.linker", Extend | kLinker},
      {"EX.extend", Extend | kConjunctExtend},
      {"ZWJ.extend", ZWJ | kConjunctExtend},
  };
  auto found = classes.find(name);
  if (found == classes.end()) throw std::logic_error("grapheme-break-17.txt: no class " + name);
  return found->second;
}

/// The class of every code point, in blocks of 256 shared between equal blocks (most of the
/// planes are one class): two loads a lookup, about 60 KB.
class ClassTable {
 public:
  ClassTable() {
    std::vector<uint8_t> flat(0x110000, Other);
    std::string_view data = kClassData;
    while (!data.empty()) {
      size_t end = data.find('\n');
      std::string_view line = data.substr(0, end);
      data.remove_prefix(end == std::string_view::npos ? data.size() : end + 1);
      if (line.empty() || line[0] == '#') continue;
      // "0300..036F EX.extend" or "00AD CN"
      size_t space = line.find(' ');
      std::string_view range = line.substr(0, space);
      size_t dots = range.find("..");
      const uint32_t first = std::stoul(std::string(range.substr(0, dots)), nullptr, 16);
      const uint32_t last = dots == std::string_view::npos
                                ? first
                                : std::stoul(std::string(range.substr(dots + 2)), nullptr, 16);
      if (space == std::string_view::npos || last < first || last > 0x10FFFF)
        throw std::logic_error("grapheme-break-17.txt: bad line " + std::string(line));
      const uint8_t klass = parse_class(std::string(line.substr(space + 1)));
      for (uint32_t cp = first; cp <= last; ++cp) flat[cp] = klass;
    }
    std::map<std::vector<uint8_t>, uint16_t> seen;
    for (size_t block = 0; block < index_.size(); ++block) {
      std::vector<uint8_t> values(flat.begin() + block * 256, flat.begin() + (block + 1) * 256);
      auto [at, added] = seen.emplace(values, static_cast<uint16_t>(blocks_.size() / 256));
      if (added) blocks_.insert(blocks_.end(), values.begin(), values.end());
      index_[block] = at->second;
    }
  }

  uint8_t operator[](uint32_t cp) const { return blocks_[index_[cp >> 8] * 256u + (cp & 0xFF)]; }

 private:
  std::array<uint16_t, 0x110000 / 256> index_{};
  std::vector<uint8_t> blocks_;
};

const ClassTable& classes() {
  static const ClassTable table;
  return table;
}

/// ASCII's classes: controls, CR, LF, and Other; none takes part in GB9c, GB11 or GB12.
constexpr uint8_t ascii_class(char16_t c) {
  return c == u'\r' ? CR : c == u'\n' ? LF : (c < 0x20 || c == 0x7F) ? Control : Other;
}

/// The code point at `i` (a lone surrogate stands for itself) and its length in units.
inline uint32_t code_point_at(std::u16string_view text, size_t i, size_t& length) {
  const char16_t c = text[i];
  if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.size() && text[i + 1] >= 0xDC00 &&
      text[i + 1] <= 0xDFFF) {
    length = 2;
    return 0x10000 + ((static_cast<uint32_t>(c) - 0xD800) << 10) + (text[i + 1] - 0xDC00);
  }
  length = 1;
  return c;
}

/// What the rules need to remember of the text before the next code point: its class, and how
/// far the three rules that look further back (GB9c, GB11, GB12/13) have got.
class Rules {
 public:
  /// Whether there is a boundary before a code point of class `next`; then moves past it.
  bool breaks_before(uint8_t next) {
    const uint8_t before = previous_ & kBreakMask;
    const uint8_t after = next & kBreakMask;
    const bool boundary = decide(before, after, next);
    remember(next);
    return boundary;
  }

  /// Starts again at a boundary: nothing before it changes what comes after.
  void restart() { *this = Rules(); }

 private:
  enum class Conjunct : uint8_t { none, consonant, linked };  // Consonant [Extend Linker]*, Linker
  enum class Emoji : uint8_t { none, pictographic, joined };  // ExtPict Extend*, then ZWJ

  /// UAX #29's rules in its order; the first that applies decides.
  bool decide(uint8_t before, uint8_t after, uint8_t next) const {
    // GB1: a boundary at the start.
    if (at_start_) return true;
    // GB3, GB4, GB5: CR LF stays one; a control stands alone.
    if (before == CR && after == LF) return false;
    if (before == CR || before == LF || before == Control) return true;
    if (after == CR || after == LF || after == Control) return true;
    // GB6, GB7, GB8: Hangul syllables.
    if (before == L && (after == L || after == V || after == LV || after == LVT)) return false;
    if ((before == LV || before == V) && (after == V || after == T)) return false;
    if ((before == LVT || before == T) && after == T) return false;
    // GB9, GB9a, GB9b: marks, ZWJ and spacing marks join what precedes, prepends what follows.
    if (after == Extend || after == ZWJ || after == SpacingMark) return false;
    if (before == Prepend) return false;
    // GB9c: Consonant [Extend Linker]* Linker [Extend Linker]* × Consonant.
    if (conjunct_ == Conjunct::linked && (next & kConjunctMask) == kConsonant) return false;
    // GB11: ExtPict Extend* ZWJ × ExtPict.
    if (emoji_ == Emoji::joined && (next & kPictographic)) return false;
    // GB12, GB13: regional indicators pair up, in order.
    if (before == RegionalIndicator && after == RegionalIndicator && regional_run_ % 2 == 1)
      return false;
    // GB999
    return true;
  }

  void remember(uint8_t next) {
    const uint8_t after = next & kBreakMask;
    const uint8_t conjunct = next & kConjunctMask;
    if (conjunct == kConsonant)
      conjunct_ = Conjunct::consonant;
    else if (conjunct == kLinker && conjunct_ != Conjunct::none)
      conjunct_ = Conjunct::linked;
    else if (conjunct != kConjunctExtend)
      conjunct_ = Conjunct::none;

    if (next & kPictographic)
      emoji_ = Emoji::pictographic;
    else if (after == ZWJ && emoji_ == Emoji::pictographic)
      emoji_ = Emoji::joined;
    else if (!(after == Extend && emoji_ == Emoji::pictographic))
      emoji_ = Emoji::none;

    regional_run_ = after == RegionalIndicator ? regional_run_ + 1 : 0;
    previous_ = next;
    at_start_ = false;
  }

  uint8_t previous_ = Other;
  bool at_start_ = true;
  Conjunct conjunct_ = Conjunct::none;
  Emoji emoji_ = Emoji::none;
  uint32_t regional_run_ = 0;
};

/// Whether `offset` (0 < offset < size) is surely a boundary without looking further back:
/// between two ASCII characters other than CR LF, and next to a control (GB4, GB5).
bool is_safe_start(std::u16string_view text, size_t offset) {
  const char16_t before = text[offset - 1];
  const char16_t after = text[offset];
  if (before == u'\r' && after == u'\n') return false;
  if (before < 0x80 && after < 0x80) return true;
  const auto is_control = [](char16_t unit) {
    const uint8_t c = (unit < 0x80 ? ascii_class(unit) : classes()[unit]) & kBreakMask;
    return c == Control || c == CR || c == LF;
  };
  // A surrogate's class is looked up as Other, so a pair is never taken for a control.
  return is_control(before) || is_control(after);
}

/// A boundary at or before `offset` from which the rules can start afresh.
size_t safe_start_before(std::u16string_view text, size_t offset) {
  while (offset > 0 && !is_safe_start(text, offset)) --offset;
  return offset;
}

}  // namespace

size_t count(std::u16string_view text) {
  const ClassTable& table = classes();
  const size_t n = text.size();
  Rules rules;
  size_t clusters = 0;
  for (size_t i = 0; i < n;) {
    const char16_t c = text[i];
    // Two ASCII characters in a row always have a boundary between them, except CR LF.
    if (c < 0x80 && i + 1 < n && text[i + 1] < 0x80) {
      if (rules.breaks_before(ascii_class(c))) ++clusters;
      size_t j = i + 1;
      while (j < n && text[j] < 0x80) {
        if (!(text[j - 1] == u'\r' && text[j] == u'\n')) ++clusters;
        ++j;
      }
      // Tell the rules only of the last one: nothing before it matters once it is ASCII.
      rules.restart();
      rules.breaks_before(ascii_class(text[j - 1]));
      i = j;
      continue;
    }
    size_t length;
    const uint32_t cp = code_point_at(text, i, length);
    if (rules.breaks_before(c < 0x80 ? ascii_class(c) : table[cp])) ++clusters;
    i += length;
  }
  return clusters;
}

size_t next_boundary(std::u16string_view text, size_t from) {
  if (from >= text.size()) return text.size();
  const ClassTable& table = classes();
  Rules rules;
  for (size_t i = safe_start_before(text, from); i < text.size();) {
    size_t length;
    const uint32_t cp = code_point_at(text, i, length);
    if (rules.breaks_before(table[cp]) && i > from) return i;
    i += length;
  }
  return text.size();
}

size_t boundary_at_or_before(std::u16string_view text, size_t offset) {
  if (offset >= text.size()) return text.size();
  const ClassTable& table = classes();
  Rules rules;
  size_t last = 0;
  for (size_t i = safe_start_before(text, offset); i <= offset;) {
    size_t length;
    const uint32_t cp = code_point_at(text, i, length);
    if (rules.breaks_before(table[cp])) last = i;
    i += length;
  }
  return last;
}

bool is_boundary(std::u16string_view text, size_t offset) {
  if (offset == 0 || offset >= text.size()) return offset <= text.size();
  return boundary_at_or_before(text, offset) == offset;
}

}  // namespace herald::text::grapheme
