// What each network publisher makes of the networks' answers: pure functions of a response's
// status, headers and body (and of what the publisher asked), kept apart from the calls that
// fetch them so that they can be tested and fuzzed without a network. They classify as the
// publish protocol does (common/publisher.hpp) and throw what the publishers throw: AuthError,
// herald::TransientError or std::runtime_error.
#pragma once

#include "common/publisher.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace herald::builtin {

namespace x_api {
/// POST /2/tweets: the new post's id and page.
Attempt created(const HttpResponse& response, int64_t now_ms);
/// POST /2/users/ME/retweets of `original`.
Attempt reposted(const HttpResponse& response, int64_t now_ms, const std::string& original);
/// GET /2/users/me: the account's id into `id`; what went wrong, or "". Throws AuthError (401).
std::string user_id(const HttpResponse& response, std::string& id);
/// One page of GET /2/users/ID/tweets looked through for a post with `text`: found, absent or
/// unknown; nothing when the next page (its token in `next_page`) must be read.
std::optional<Earlier> recent_page(const HttpResponse& response, const std::string& text,
                                   std::string& next_page);
/// One page of GET /2/users/ID/tweets?tweet.fields=created_at: the posts with exactly `text`
/// added to `matches`; `oldest_ms` the creation time of the page's oldest post (0 when a post on
/// it has none), `next_page` the next page's token or "". Returns why the page could not be
/// read, or "".
std::string matches_page(const HttpResponse& response, const std::string& text,
                         std::vector<Candidate>& matches, int64_t& oldest_ms,
                         std::string& next_page);
/// One page of GET /2/tweets/ORIGINAL/retweeted_by looked through for the user `me`.
std::optional<Earlier> reposters_page(const HttpResponse& response, const std::string& me,
                                      const std::string& original, std::string& next_page);
/// One page of GET /2/users/ME/mentions: the mentions (lines of `herald inbound import`), newest
/// first; `newest` moves to the newest id, `next_page` is the next page's token or "". Throws
/// herald::TransientError when the page cannot be read.
std::vector<nlohmann::json> mentions_page(const HttpResponse& response, const std::string& account,
                                          std::string& newest, std::string& next_page);
/// GET /2/users/by/username/NAME: the user's id, or "".
std::string looked_up_id(const HttpResponse& response);
}  // namespace x_api

namespace mastodon_api {
/// A status (POST /api/v1/statuses, or a reblog): its id and page.
Attempt status(const HttpResponse& response);
/// GET /api/v2/instance: configuration.statuses.max_characters, or 0.
int64_t instance_limit(const HttpResponse& response);
/// One page of GET /api/v1/notifications?types[]=mention: the mentions, oldest first; `cursor`
/// moves to the newest notification. An empty page is the end. Throws herald::TransientError
/// when the page cannot be read.
std::vector<nlohmann::json> notifications_page(const HttpResponse& response,
                                               const std::string& account, std::string& cursor,
                                               bool& end);
/// GET /api/v1/accounts/lookup: the account's id, or "".
std::string looked_up_id(const HttpResponse& response);
/// The text of a status's HTML content: tags dropped, paragraphs and line breaks kept,
/// entities decoded.
std::string plain_text(const std::string& html);
}  // namespace mastodon_api

namespace bluesky_api {
struct Session {
  std::string did;
  std::string access;
  std::string refresh;
  int64_t access_expires_ms = 0;
};
/// The "exp" claim of a JWT, in Unix ms (0 when unreadable).
int64_t jwt_expiry_ms(const std::string& jwt);
/// createSession or refreshSession: the session in `s` (unchanged when the answer has none).
void adopt(const HttpResponse& response, Session& s);
/// Whether the answer says the access token expired.
bool expired(const HttpResponse& response);
/// com.atproto.repo.createRecord: the record's uri; `url` is its page.
Attempt created(const HttpResponse& response, int64_t now_ms, const std::string& url);
/// com.atproto.repo.getRecord of our own record key `rkey`: found (a record with `text`, or a
/// repost of `subject` when that is not ""), absent or unknown. Throws std::runtime_error when
/// the key holds a different record.
Earlier earlier_record(const HttpResponse& response, const std::string& text,
                       const std::string& subject, const std::string& did, const std::string& rkey);
/// com.atproto.repo.getRecord of another post (`uri`, `what` names it): its cid, and its record
/// in `value`; "" and `failed` saying why when there is none.
std::string record_cid(const HttpResponse& response, int64_t now_ms, const std::string& uri,
                       const std::string& what, Attempt& failed, nlohmann::json* value = nullptr);
/// The web page of the post at `uri` (at://DID/app.bsky.feed.post/RKEY), or "".
std::string web_url(const std::string& uri);
}  // namespace bluesky_api

namespace linkedin_api {
/// POST /rest/posts: the id from the x-restli-id header.
Attempt created(const HttpResponse& response, int64_t now_ms);
/// One page (of 100) of GET /rest/posts?q=author looked through for a post with `commentary`:
/// found, absent or unknown; nothing when the next page must be read. Throws AuthError (401).
std::optional<Earlier> posts_page(const HttpResponse& response, const std::string& commentary);
/// One page (of 100) of GET /rest/posts?q=author: the posts with exactly `commentary` added to
/// `matches` (createdAt in Unix ms); `oldest_ms` the page's oldest createdAt (0 when a post on
/// it has none); `more` whether another page may follow. Returns why the page could not be read,
/// or "". Throws AuthError (401).
std::string matches_page(const HttpResponse& response, const std::string& commentary,
                         std::vector<Candidate>& matches, int64_t& oldest_ms, bool& more);
}  // namespace linkedin_api

namespace webhook_api {
/// The receiver's answer: its id, else the post's idempotency key.
Attempt created(const HttpResponse& response, int64_t now_ms, const std::string& idempotency_key);
}  // namespace webhook_api

}  // namespace herald::builtin
