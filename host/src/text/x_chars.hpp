// twitter-text's character groups, in ICU set syntax ("\x{...}" escapes, ranges with "-"), shared
// by X's URL matcher and its hashtag, mention and cashtag patterns.
#pragma once

namespace herald::text::x::chars {

// twitter-text's punctuation, spaces, invalid characters and directional marks.
inline constexpr const char* kPunct =
    R"(\!\'\#\%\&\(\)\*\+\,\\\-\.\/\:\;\<\=\>\?\@\[\]\^\_\{\|\}\~\$)";
inline constexpr const char* kSpaces =
    R"(\x{09}-\x{0D}\x{20}\x{85}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{2028}\x{2029})"
    R"(\x{202F}\x{205F}\x{3000})";
inline constexpr const char* kInvalid = R"(\x{FFFE}\x{FEFF}\x{FFFF})";
inline constexpr const char* kDirectional =
    R"(\x{202A}-\x{202E}\x{061C}\x{200E}\x{200F}\x{2066}-\x{2069})";
// JavaScript's \s, which the cashtag rule uses.
inline constexpr const char* kJsSpace =
    R"(\x{09}-\x{0D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F})"
    R"(\x{3000}\x{FEFF})";
// Latin letters with accents that URLs may contain.
inline constexpr const char* kLatinAccents =
    R"(\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}\x{100}-\x{24F}\x{253}\x{254}\x{256}\x{257})"
    R"(\x{259}\x{25B}\x{263}\x{268}\x{26F}\x{272}\x{289}\x{28B}\x{2BB}\x{300}-\x{36F})"
    R"(\x{1E00}-\x{1EFF})";
inline constexpr const char* kCyrillic = R"(\x{400}-\x{4FF})";
// Characters inside a hashtag besides letters, marks and digits.
inline constexpr const char* kHashtagSpecial =
    R"(_\x{200C}\x{200D}\x{A67E}\x{5BE}\x{5F3}\x{5F4}\x{FF5E}\x{301C}\x{309B}\x{309C}\x{30A0})"
    R"(\x{30FB}\x{3003}\x{F0B}\x{F0C}\x{B7})";

}  // namespace herald::text::x::chars
