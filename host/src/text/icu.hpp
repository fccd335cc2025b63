// ICU pieces the text rules share: viewing UTF-16 text as an icu::UnicodeString without copying
// it, and compiling a rule's pattern once.
#pragma once

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <string_view>

namespace herald::text {

/// A read-only UnicodeString over `text`, which must outlive it.
inline icu::UnicodeString alias(std::u16string_view text) {
  return icu::UnicodeString(false, text.data(), static_cast<int32_t>(text.size()));
}

/// Compiles one of Herald's own patterns; a pattern that does not compile is a bug in Herald,
/// reported with where it failed.
std::unique_ptr<icu::RegexPattern> compile_rule(const std::string& pattern, uint32_t flags);

}  // namespace herald::text
