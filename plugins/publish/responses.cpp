#include "publish/responses.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>

namespace herald::builtin {

using nlohmann::json;

namespace {

// Readers of an answer's fields that never throw: a field that is missing, or of another type
// than expected, reads as empty (a network's answer is input like any other).

const json& at(const json& j, const json::json_pointer& pointer) {
  static const json missing;
  try {
    return j.at(pointer);
  } catch (const json::exception&) {
    return missing;
  }
}

const json& at(const json& j, const char* key) {
  static const json missing;
  if (!j.is_object()) return missing;
  auto found = j.find(key);
  return found == j.end() ? missing : *found;
}

template <typename Key>
std::string str(const json& j, const Key& key) {
  const json& v = at(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

template <typename Key>
int64_t num(const json& j, const Key& key) {
  const json& v = at(j, key);
  if (v.is_number_unsigned())
    return static_cast<int64_t>(
        std::min<uint64_t>(v.get<uint64_t>(), std::numeric_limits<int64_t>::max()));
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

template <typename Key>
json arr(const json& j, const Key& key) {
  const json& v = at(j, key);
  return v.is_array() ? v : json::array();
}

template <typename Key>
json obj(const json& j, const Key& key) {
  const json& v = at(j, key);
  return v.is_object() ? v : json::object();
}

}  // namespace

namespace x_api {

Attempt created(const HttpResponse& response, int64_t now_ms) {
  Attempt a = classify_response("x", response, now_ms);
  if (a.failure != Failure::none) return a;
  json body = json::parse(response.body, nullptr, false);
  a.remote_id = str(body, "/data/id"_json_pointer);  // ids are strings: never parse them
  if (a.remote_id.empty()) {
    a.failure = Failure::unknown;
    a.reason = "x answered without a post id";
    return a;
  }
  a.url = "https://x.com/i/status/" + a.remote_id;
  return a;
}

Attempt reposted(const HttpResponse& response, int64_t now_ms, const std::string& original) {
  Attempt a = classify_response("x", response, now_ms);
  if (a.failure != Failure::none) return a;
  json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || at(body, "/data/retweeted"_json_pointer) != json(true)) {
    a.failure = Failure::unknown;
    a.reason = "x answered the repost without retweeted: true";
    return a;
  }
  a.remote_id = "repost:" + original;  // X gives a repost no id of its own here
  a.url = "https://x.com/i/status/" + original;
  return a;
}

std::string user_id(const HttpResponse& who, std::string& id) {
  if (who.status == 401) throw AuthError("x refused the credentials (HTTP 401)");
  json user = json::parse(who.body, nullptr, false);
  if (!who.complete() || who.status != 200 || !user.is_object() || !user.contains("data"))
    return "cannot read the account (" +
           (who.error.empty() ? "HTTP " + std::to_string(who.status) : who.error) + ")";
  id = str(user["data"], "id");
  return id.empty() ? "x answered /2/users/me without an id" : "";
}

std::optional<Earlier> recent_page(const HttpResponse& list, const std::string& text,
                                   std::string& next_page) {
  json posts = json::parse(list.body, nullptr, false);
  if (!list.complete() || list.status != 200 || !posts.is_object())
    return Earlier{Earlier::State::unknown, "", "",
                   "cannot read recent posts (" + list.error + ")"};
  for (const json& p : arr(posts, "data"))
    if (str(p, "text") == text && !str(p, "id").empty()) {
      std::string remote = str(p, "id");
      return Earlier{Earlier::State::found, remote, "https://x.com/i/status/" + remote, ""};
    }
  next_page = str(posts, "/meta/next_token"_json_pointer);
  if (next_page.empty()) return Earlier{Earlier::State::absent, "", "", ""};
  return std::nullopt;
}

std::string matches_page(const HttpResponse& list, const std::string& text,
                         std::vector<Candidate>& matches, int64_t& oldest_ms,
                         std::string& next_page) {
  json posts = json::parse(list.body, nullptr, false);
  if (!list.complete() || list.status != 200 || !posts.is_object())
    return "cannot read recent posts (" +
           (list.error.empty() ? "HTTP " + std::to_string(list.status) : list.error) + ")";
  oldest_ms = 0;
  bool undated = false;
  const json data = posts.value("data", json::array());
  for (const json& p : data.is_array() ? data : json::array()) {
    if (!p.is_object()) continue;
    const json created = p.value("created_at", json());
    const int64_t at = created.is_string() ? parse_iso8601_ms(created.get<std::string>()) : 0;
    undated = undated || at == 0;
    if (at > 0 && (oldest_ms == 0 || at < oldest_ms)) oldest_ms = at;
    const json id = p.value("id", json());
    if (p.value("text", json()) == json(text) && id.is_string())
      matches.push_back(
          {id.get<std::string>(), "https://x.com/i/status/" + id.get<std::string>(), at});
  }
  if (undated) oldest_ms = 0;
  const json next = posts.value("/meta/next_token"_json_pointer, json());
  next_page = next.is_string() ? next.get<std::string>() : "";
  return "";
}

std::optional<Earlier> reposters_page(const HttpResponse& list, const std::string& me,
                                      const std::string& original, std::string& next_page) {
  json users = json::parse(list.body, nullptr, false);
  if (!list.complete() || list.status != 200 || !users.is_object())
    return Earlier{Earlier::State::unknown, "", "", "cannot read who reposted " + original};
  for (const json& u : arr(users, "data"))
    if (str(u, "id") == me)
      return Earlier{Earlier::State::found, "repost:" + original,
                     "https://x.com/i/status/" + original, ""};
  next_page = str(users, "/meta/next_token"_json_pointer);
  if (next_page.empty()) return Earlier{Earlier::State::absent, "", "", ""};
  return std::nullopt;
}

std::vector<json> mentions_page(const HttpResponse& response, const std::string& account,
                                std::string& newest, std::string& next_page) {
  json body = json::parse(response.body, nullptr, false);
  if (!response.complete() || response.status != 200 || !body.is_object())
    throw herald::TransientError(
        "cannot read the mentions of " + account + " (" +
        (response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error) +
        ")");
  std::vector<json> found;
  std::map<std::string, json> users;
  for (const json& u : arr(body, "/includes/users"_json_pointer)) users[str(u, "id")] = u;
  for (const json& t : arr(body, "data")) {
    const std::string id = str(t, "id");
    if (id.empty()) continue;
    if (newest.empty() || id.size() > newest.size() || (id.size() == newest.size() && id > newest))
      newest = id;
    const json user = users[str(t, "author_id")];
    const json metrics = obj(t, "public_metrics");
    found.push_back({{"id", id},
                     {"author", "@" + (str(user, "username").empty() ? str(t, "author_id")
                                                                     : str(user, "username"))},
                     {"followers", num(user, "/public_metrics/followers_count"_json_pointer)},
                     {"engagement", num(metrics, "like_count") + num(metrics, "retweet_count") +
                                        num(metrics, "reply_count") + num(metrics, "quote_count")},
                     {"text", str(t, "text")}});
  }
  next_page = str(body, "/meta/next_token"_json_pointer);
  return found;
}

std::string looked_up_id(const HttpResponse& response) {
  return str(json::parse(response.body, nullptr, false), "/data/id"_json_pointer);
}

}  // namespace x_api

namespace mastodon_api {

Attempt status(const HttpResponse& response) {
  json status = json::parse(response.body, nullptr, false);
  Attempt a;
  if (!status.is_object() || !status.contains("id")) {
    a.failure = Failure::unknown;
    a.reason = "mastodon answered without a status id";
    return a;
  }
  a.remote_id = status["id"].is_string() ? status["id"].get<std::string>() : status["id"].dump();
  a.url = str(status, "url").empty() ? str(status, "uri") : str(status, "url");
  return a;
}

int64_t instance_limit(const HttpResponse& response) {
  json body = json::parse(response.body, nullptr, false);
  if (response.complete() && response.status == 200 && body.is_object()) {
    const int64_t limit = num(body, "/configuration/statuses/max_characters"_json_pointer);
    if (limit > 0) return limit;
  }
  return 0;
}

namespace {
/// Whether snowflake id `a` is later than `b` (longer, or the same length and greater).
bool later_id(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}
}  // namespace

std::vector<json> notifications_page(const HttpResponse& response, const std::string& account,
                                     std::string& cursor, bool& end) {
  if (response.status == 401 || response.status == 403)
    throw herald::TransientError("mastodon refused the token of " + account + " (HTTP " +
                                 std::to_string(response.status) + ")");
  json page = json::parse(response.body, nullptr, false);
  if (!response.complete() || response.status != 200 || !page.is_array())
    throw herald::TransientError(
        "cannot read the notifications of " + account + " (" +
        (response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error) +
        ")");
  std::vector<json> mentions;
  end = page.empty();
  // Newest first within the page: hand them over oldest first.
  for (auto it = page.rbegin(); it != page.rend(); ++it) {
    const json& n = *it;
    const std::string id = str(n, "id");
    if (id.empty()) continue;
    if (cursor.empty() || later_id(id, cursor)) cursor = id;
    if (str(n, "type") != "mention" || !n.contains("status") || !n["status"].is_object()) continue;
    const json& status = n["status"];
    const json author = obj(n, "account");
    mentions.push_back(
        {{"id", str(status, "id")},
         {"author", "@" + str(author, "acct")},
         {"followers", num(author, "followers_count")},
         {"engagement", num(status, "favourites_count") + num(status, "reblogs_count") +
                            num(status, "replies_count")},
         {"text", plain_text(str(status, "content"))},
         {"url", str(status, "url")}});
  }
  return mentions;
}

std::string looked_up_id(const HttpResponse& response) {
  return str(json::parse(response.body, nullptr, false), "id");
}

std::string plain_text(const std::string& html) {
  std::string out;
  for (size_t i = 0; i < html.size();) {
    if (html[i] == '<') {
      size_t end = html.find('>', i);
      if (end == std::string::npos) break;
      std::string tag = html.substr(i + 1, end - i - 1);
      if (tag.rfind("br", 0) == 0) out += "\n";
      if (tag == "/p") out += "\n\n";
      i = end + 1;
      continue;
    }
    if (html[i] == '&') {
      static const std::pair<const char*, const char*> entities[] = {
          {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
          {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}};
      bool decoded = false;
      for (auto [entity, text] : entities)
        if (html.compare(i, std::strlen(entity), entity) == 0) {
          out += text;
          i += std::strlen(entity);
          decoded = true;
          break;
        }
      if (decoded) continue;
    }
    out += html[i++];
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace mastodon_api

namespace bluesky_api {

int64_t jwt_expiry_ms(const std::string& jwt) {
  size_t a = jwt.find('.'), b = jwt.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos) return 0;
  std::string payload = jwt.substr(a + 1, b - a - 1);
  std::string decoded;
  int value = 0, bits = -8;
  for (char c : payload) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-' || c == '+' ? 62
            : c == '_' || c == '/' ? 63
                                   : -1;
    if (v < 0) break;
    value = (value << 6) + v;
    bits += 6;
    if (bits >= 0) {
      decoded.push_back(static_cast<char>((value >> bits) & 0xFF));
      bits -= 8;
    }
  }
  json claims = json::parse(decoded, nullptr, false);
  // Seconds since 1970; anything not a whole number of seconds before the year 10000 is ignored.
  const int64_t exp = num(claims, "exp");
  return exp > 0 && exp < 253'402'300'800 ? exp * 1000 : 0;
}

void adopt(const HttpResponse& response, Session& s) {
  json body = json::parse(response.body, nullptr, false);
  if (!response.complete() || response.status != 200 || !body.is_object()) return;
  s.did = str(body, "did");
  s.access = str(body, "accessJwt");
  s.refresh = str(body, "refreshJwt");
  s.access_expires_ms = jwt_expiry_ms(s.access);
  if (s.access_expires_ms == 0)  // the PDS default lifetime
    s.access_expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          120 * 60'000;
}

bool expired(const HttpResponse& r) {
  if (r.status != 400) return false;
  json body = json::parse(r.body, nullptr, false);
  return body.is_object() && str(body, "error") == "ExpiredToken";
}

Attempt created(const HttpResponse& response, int64_t now_ms, const std::string& url) {
  Attempt a = classify_response("bluesky", response, now_ms);
  if (a.failure != Failure::none) return a;
  json body = json::parse(response.body, nullptr, false);
  a.remote_id = body.is_object() ? str(body, "uri") : "";
  if (a.remote_id.empty()) {
    a.failure = Failure::unknown;
    a.reason = "bluesky answered without the record's uri";
    return a;
  }
  a.url = url;
  return a;
}

Earlier earlier_record(const HttpResponse& response, const std::string& text,
                       const std::string& subject, const std::string& did,
                       const std::string& rkey) {
  json body = json::parse(response.body, nullptr, false);
  if (response.complete() && response.status == 200 && body.is_object()) {
    const json value = obj(body, "value");
    const bool same = subject.empty() ? str(value, "text") == text
                                      : str(value, "/subject/uri"_json_pointer) == subject;
    if (body.contains("value") && !same)
      throw std::runtime_error("the record key " + rkey + " of " + did +
                               " holds a different record; not publishing over it");
    return {
        Earlier::State::found, str(body, "uri"),
        subject.empty() ? "https://bsky.app/profile/" + did + "/post/" + rkey : web_url(subject),
        ""};
  }
  if (response.complete() && response.status == 400 && body.is_object() &&
      str(body, "error") == "RecordNotFound")
    return {Earlier::State::absent, "", "", ""};
  return {Earlier::State::unknown, "", "",
          response.error.empty() ? "getRecord answered HTTP " + std::to_string(response.status)
                                 : response.error};
}

std::string record_cid(const HttpResponse& response, int64_t now_ms, const std::string& uri,
                       const std::string& what, Attempt& failed, json* value) {
  json body = json::parse(response.body, nullptr, false);
  if (response.complete() && response.status == 200 && body.is_object() && body.contains("cid") &&
      body["cid"].is_string()) {
    if (value) *value = obj(body, "value");
    return body["cid"].get<std::string>();
  }
  if (response.complete() && response.status == 400 && body.is_object() &&
      str(body, "error") == "RecordNotFound") {
    failed.failure = Failure::permanent;
    failed.reason = what + " is not on bluesky (" + uri + ")";
    return "";
  }
  failed = classify_response("bluesky", response, now_ms);
  if (failed.failure == Failure::none || failed.failure == Failure::unknown)
    failed.failure = Failure::transient;  // a read: nothing was made
  failed.reason =
      "cannot read " + what + " (" + uri +
      "): " + (failed.reason.empty() ? "HTTP " + std::to_string(response.status) : failed.reason);
  return "";
}

std::string web_url(const std::string& uri) {
  if (uri.rfind("at://", 0) != 0) return "";
  const std::string path = uri.substr(5);
  const size_t a = path.find('/'), b = path.rfind('/');
  if (a == std::string::npos || b == a) return "";
  return "https://bsky.app/profile/" + path.substr(0, a) + "/post/" + path.substr(b + 1);
}

}  // namespace bluesky_api

namespace linkedin_api {

Attempt created(const HttpResponse& response, int64_t now_ms) {
  Attempt a = classify_response("linkedin", response, now_ms);
  if (a.failure != Failure::none) return a;
  a.remote_id = response.header("x-restli-id");
  if (a.remote_id.empty()) {
    a.failure = Failure::unknown;
    a.reason = "linkedin answered without x-restli-id";
    return a;
  }
  a.url = "https://www.linkedin.com/feed/update/" + a.remote_id;
  return a;
}

std::optional<Earlier> posts_page(const HttpResponse& response, const std::string& commentary) {
  if (response.status == 401) throw AuthError("linkedin refused the credentials (HTTP 401)");
  json body = json::parse(response.body, nullptr, false);
  if (!response.complete() || response.status != 200 || !body.is_object())
    return Earlier{Earlier::State::unknown, "", "", "cannot read the author's posts"};
  const json elements = arr(body, "elements");
  for (const json& p : elements)
    if (str(p, "commentary") == commentary && !str(p, "id").empty()) {
      std::string id = str(p, "id");
      return Earlier{Earlier::State::found, id, "https://www.linkedin.com/feed/update/" + id, ""};
    }
  if (elements.size() < 100) return Earlier{Earlier::State::absent, "", "", ""};
  return std::nullopt;
}

std::string matches_page(const HttpResponse& response, const std::string& commentary,
                         std::vector<Candidate>& matches, int64_t& oldest_ms, bool& more) {
  if (response.status == 401) throw AuthError("linkedin refused the credentials (HTTP 401)");
  json body = json::parse(response.body, nullptr, false);
  more = false;
  if (!response.complete() || response.status != 200 || !body.is_object())
    return "cannot read the author's posts (" +
           (response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error) +
           ")";
  oldest_ms = 0;
  bool undated = false;
  const json elements = body.value("elements", json::array());
  if (!elements.is_array()) return "the author's posts are not a list";
  for (const json& p : elements) {
    if (!p.is_object()) continue;
    const json created = p.value("createdAt", json());
    const int64_t at = created.is_number_integer() ? created.get<int64_t>() : 0;
    undated = undated || at <= 0;
    if (at > 0 && (oldest_ms == 0 || at < oldest_ms)) oldest_ms = at;
    const json id = p.value("id", json());
    if (p.value("commentary", json()) == json(commentary) && id.is_string())
      matches.push_back({id.get<std::string>(),
                         "https://www.linkedin.com/feed/update/" + id.get<std::string>(), at});
  }
  if (undated) oldest_ms = 0;
  more = elements.size() >= 100;
  return "";
}

}  // namespace linkedin_api

namespace webhook_api {

Attempt created(const HttpResponse& response, int64_t now_ms, const std::string& idempotency_key) {
  Attempt a = classify_response("webhook", response, now_ms);
  if (a.failure != Failure::none) return a;
  json answer = json::parse(response.body, nullptr, false);
  a.remote_id = answer.is_object() && answer.contains("id") && answer["id"].is_string()
                    ? answer["id"].get<std::string>()
                    : idempotency_key;
  return a;
}

}  // namespace webhook_api

}  // namespace herald::builtin
