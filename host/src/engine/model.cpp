#include "engine/model.hpp"

#include "time/time.hpp"

#include <array>
#include <utility>

namespace herald {
namespace {
constexpr std::array<std::pair<PostState, std::string_view>, 10> kStateNames = {{
    {PostState::ready, "ready"},
    {PostState::waiting, "waiting"},
    {PostState::held, "held"},
    {PostState::in_flight, "in_flight"},
    {PostState::unconfirmed, "unconfirmed"},
    {PostState::quarantined, "quarantined"},
    {PostState::done, "done"},
    {PostState::rejected, "rejected"},
    {PostState::failed, "failed"},
    {PostState::cancelled, "cancelled"},
}};
}  // namespace

std::string_view to_string(PostState state) {
  for (const auto& [value, name] : kStateNames)
    if (value == state) return name;
  return "unknown";
}

std::optional<PostState> parse_post_state(std::string_view text) {
  for (const auto& [value, name] : kStateNames)
    if (name == text) return value;
  return std::nullopt;
}

bool is_terminal(PostState state) {
  return state == PostState::done || state == PostState::rejected || state == PostState::failed ||
         state == PostState::cancelled;
}

std::string rate_limit_wait_reason(const std::string& account, int64_t until_ms, bool unconfirmed) {
  return "waits for the rate limit of account " + account + ", in force until " +
         format_utc(until_ms) +
         (unconfirmed ? "; it stays unconfirmed and is looked for on the network first" : "");
}

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "\n" : "") + items[i];
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace herald
