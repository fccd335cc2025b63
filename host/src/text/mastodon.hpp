// Mastodon's remote mentions, `@user@domain`, as its StatusLengthValidator finds them (counted as
// `@user`). The pattern, case-insensitive, over code points:
//
//   (?<![=/\p{L}\p{M}\p{Nd}_])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)
//     @([\p{L}\p{M}\p{Nd}_]+(?:[.\-]+[\p{L}\p{M}\p{Nd}_]+)*)
//
// A backtracking engine tries every way to split a long user name among its three runs before
// giving up, which takes time cubic in its length; every part here has exactly one way to match,
// so one pass finds the same mentions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace herald::text::mastodon {

/// One `@user@domain`: [start, end) in UTF-16 units, the user part ending at `user_end`.
struct RemoteMention {
  size_t start = 0;
  size_t user_end = 0;
  size_t end = 0;
};

/// Every remote mention in `text`, left to right, as the pattern's successive matches; a match
/// whose domain is longer than 253 units is left out (no host name is that long) and the
/// search goes on after it, as the validator's does.
std::vector<RemoteMention> remote_mentions(std::u16string_view text);

}  // namespace herald::text::mastodon
