// Text made safe to place in HTML (the calendar page, the network simulator's status content).
#pragma once

#include <string>
#include <string_view>

namespace herald {

/// `text` with &, <, >, " and ' written as entities.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

}  // namespace herald
