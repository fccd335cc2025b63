// Text that enters Herald to be stored — from the command line, Python, a plugin or a
// configuration file — is checked here: well-formed UTF-8, within a size limit, and (for tags,
// names and ids) on one line. What fails is refused before anything is stored.
//
// Example:
//   if (Status s = check_input("--tag", tag, kShortTextLimit, Lines::one); !s) return s;
#pragma once

#include <herald/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace herald {

/// A post's text, a reason, a comment, a note: 64 KiB.
inline constexpr size_t kLongTextLimit = 64 * 1024;
/// A tag, a remote id, a stage, an event type: 1 KiB.
inline constexpr size_t kShortTextLimit = 1024;

/// The offset of the first byte that is not part of well-formed UTF-8 (stray or missing
/// continuation bytes, overlong forms, surrogates, above U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view text);
inline bool valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}

enum class Lines { any, one };

/// Why `value` cannot be stored as `what`, or "" when it can: too long (checked first, without
/// reading the bytes), not UTF-8 (with the byte's offset), a NUL, or a line break where only
/// one line is allowed. Never repeats the value.
std::string input_problem(std::string_view what, std::string_view value, size_t limit,
                          Lines lines = Lines::any);

/// `value` with every byte that is not part of well-formed UTF-8 written as U+FFFD, cut to at
/// most `limit` bytes (at a character boundary): for messages that are shown, not stored as given.
std::string repaired_utf8(std::string_view value, size_t limit);

/// input_problem as a Status (invalid_argument).
Status check_input(std::string_view what, std::string_view value, size_t limit,
                   Lines lines = Lines::any);

}  // namespace herald
