// Bluesky rich text: the facets (links, mentions, hashtags, cashtags) the AT Protocol reference
// client detects in a post (`RichText.detectFacets` in @atproto/api), with the UTF-8 byte offsets
// an `app.bsky.feed.post` record carries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::text::bluesky {

enum class FacetType { link, mention, tag };

std::string_view facet_type_name(FacetType type);

struct Facet {
  size_t byte_start = 0;  // UTF-8 offsets into the text, end exclusive
  size_t byte_end = 0;
  FacetType type = FacetType::link;
  /// link: the full URI (`https://` added to a bare domain); mention: the handle, which the
  /// publisher resolves to a DID; tag: the tag without `#`, or `$TICKER` for a cashtag.
  std::string value;
};

/// The facets of `text`, ordered by start offset, as the reference detector finds them: links
/// with or without a scheme (a bare domain must end in a real TLD), mentions of handles with a
/// real TLD or `.test`, hashtags of at most 64 UTF-16 units, and cashtags of 1-5 letters/digits.
std::vector<Facet> detect_facets(std::u16string_view text);

}  // namespace herald::text::bluesky
