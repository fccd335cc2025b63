// Bluesky publisher: a session from com.atproto.server.createSession (the account's handle and
// its app password), refreshed before the access token expires; com.atproto.repo.createRecord
// with a record key of our own, derived from the post's idempotency key, and facets for links,
// tags and mentions from Herald's text rules. An unconfirmed post is looked for with
// com.atproto.repo.getRecord on that key; a createRecord that finds the key taken (the PDS
// answers 500) is reconciled the same way. Credential: app_password.
// A post tagged boost-of:URI (made by the crosspost step's boost mode) is a repost: an
// app.bsky.feed.repost record whose subject is that post (its uri, and the cid getRecord gives),
// under our own record key too, so it is reconciled the same way.
// A post tagged reply-to:URI (a reply drafted for an inbound mention) is made in that post's
// thread: reply.parent is the post (uri and cid from getRecord) and reply.root its thread's root.
#include "common/duration.hpp"
#include "common/publisher.hpp"
#include "publish/responses.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using bluesky_api::Session;
using bluesky_api::web_url;
using nlohmann::json;

/// A TID (the record key type of app.bsky.feed.post) derived from the idempotency key: the
/// same post always gets the same key, different posts practically never share one.
std::string record_key(const std::string& idempotency_key) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a, 64 bits
  for (unsigned char c : idempotency_key) h = (h ^ c) * 1099511628211ULL;
  const uint64_t micros = 1'600'000'000'000'000ULL + (h % 5'000'000'000'000'000ULL);
  const uint64_t tid = (micros << 10) | ((h >> 54) & 0x3FF);
  static const char* alphabet = "234567abcdefghijklmnopqrstuvwxyz";
  std::string out(13, '2');
  for (int i = 12; i >= 0; --i) {
    out[static_cast<size_t>(i)] = alphabet[(tid >> (5 * (12 - i))) & 31];
  }
  return out;
}

/// The uri of the post to repost (tag boost-of:URI), or "".
std::string repost_subject(herald::Context& post) {
  for (const std::string& tag : post.tags())
    if (tag.rfind("boost-of:at://", 0) == 0) return tag.substr(9);
  return "";
}

/// The uri of the post this one answers (tag reply-to:URI, a reply to an inbound mention), or "".
std::string reply_parent(herald::Context& post) {
  for (const std::string& tag : post.tags())
    if (tag.rfind("reply-to:at://", 0) == 0) return tag.substr(9);
  return "";
}

/// The collection our record for `post` goes in.
std::string collection_of(herald::Context& post) {
  return repost_subject(post).empty() ? "app.bsky.feed.post" : "app.bsky.feed.repost";
}

class Bluesky : public Publisher {
 public:
  static constexpr auto config_keys =
      with_publisher_keys(std::array<herald_config_key, 1>{{settle_key("10")}});

  explicit Bluesky(herald::Config& config) : Publisher(config, "bluesky", "https://bsky.social") {}

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    Session& s = session(post, base);
    const std::string rkey = record_key(post.field("idempotency_key"));
    const std::string subject = repost_subject(post);
    json record;
    std::string url = "https://bsky.app/profile/" + s.did + "/post/" + rkey;
    if (!subject.empty()) {
      Attempt looked;
      const std::string cid = read_post(post, base, s, subject, "the post to repost", looked);
      if (looked.failure != Failure::none) return looked;
      record = {{"$type", "app.bsky.feed.repost"},
                {"subject", {{"uri", subject}, {"cid", cid}}},
                {"createdAt", format_rfc3339(post.now_ms(), 3)}};
      url = web_url(subject);  // a repost has no page of its own
    } else {
      record = {{"$type", "app.bsky.feed.post"},
                {"text", post.text()},
                {"createdAt", format_rfc3339(post.now_ms(), 3)},
                {"langs", json::array({"en"})}};
      json facets = facets_of(post, base, s);
      if (!facets.empty()) record["facets"] = facets;
      // A reply: in the thread of the post it answers (parent), under that thread's root.
      if (const std::string parent = reply_parent(post); !parent.empty()) {
        Attempt looked;
        json value;
        const std::string cid =
            read_post(post, base, s, parent, "the post to answer", looked, &value);
        if (looked.failure != Failure::none) return looked;
        const json parent_ref = {{"uri", parent}, {"cid", cid}};
        json root_ref = parent_ref;
        if (value.is_object() && value.contains("reply") && value["reply"].is_object() &&
            value["reply"].contains("root"))
          root_ref = value["reply"]["root"];
        record["reply"] = {{"root", root_ref}, {"parent", parent_ref}};
      }
    }
    HttpRequest r = request("POST", base + "/xrpc/com.atproto.repo.createRecord");
    r.headers = {{"Authorization", "Bearer " + s.access}, {"Content-Type", "application/json"}};
    r.body = json{
        {"repo", s.did},
        {"collection", collection_of(post)},
        {"rkey", rkey},
        {"record",
         record}}.dump();
    HttpResponse response = http(r);
    if (bluesky_api::expired(response)) {
      refresh(post, base, s);
      r.headers[0].second = "Bearer " + s.access;
      response = http(r);
    }
    return bluesky_api::created(response, post.now_ms(), url);
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    Session& s = session(post, base);
    const std::string rkey = record_key(post.field("idempotency_key"));
    const std::string subject = repost_subject(post);
    HttpRequest r =
        request("GET", base + "/xrpc/com.atproto.repo.getRecord?repo=" + form_encode(s.did) +
                           "&collection=" + collection_of(post) + "&rkey=" + rkey);
    HttpResponse answer = http(r);
    if (answer.status == 429) {
      Attempt limited = classify(answer, post.now_ms());
      return {Earlier::State::unknown, "", "", limited.reason, limited.retry_at_ms};
    }
    return bluesky_api::earlier_record(answer, post.text(), subject, s.did, rkey);
  }

 private:
  /// The cid of the post at `uri` (a repost or a reply names both), and its record in
  /// `value`; `failed` says why when there is none. `what` names the post in messages.
  std::string read_post(herald::Context& post, const std::string& base, const Session& s,
                        const std::string& uri, const std::string& what, Attempt& failed,
                        json* value = nullptr) {
    const std::string path = uri.substr(5);  // DID/COLLECTION/RKEY
    const size_t a = path.find('/'), b = path.rfind('/');
    if (a == std::string::npos || b == a) {
      failed.failure = Failure::permanent;
      failed.reason = what + " '" + uri + "' is not an at:// post uri";
      return "";
    }
    HttpRequest r = request(
        "GET", base + "/xrpc/com.atproto.repo.getRecord?repo=" + form_encode(path.substr(0, a)) +
                   "&collection=" + form_encode(path.substr(a + 1, b - a - 1)) +
                   "&rkey=" + form_encode(path.substr(b + 1)));
    r.headers = {{"Authorization", "Bearer " + s.access}};
    return bluesky_api::record_cid(http(r), post.now_ms(), uri, what, failed, value);
  }

  /// The account's session: made once, refreshed five minutes before the access token expires.
  Session& session(herald::Context& post, const std::string& base) {
    Session& s = account_session(post.account());
    if (!s.access.empty() && post.now_ms() < s.access_expires_ms - 5 * 60'000) return s;
    if (!s.refresh.empty() && refresh(post, base, s)) return s;
    HttpRequest r = request("POST", base + "/xrpc/com.atproto.server.createSession");
    r.headers = {{"Content-Type", "application/json"}};
    r.body =
        json{{"identifier", post.field("handle")}, {"password", credential(post, "app_password")}}
            .dump();
    HttpResponse response = http(r);
    if (response.status == 401)
      throw AuthError("bluesky refused the handle and app password of account " + post.account() +
                      " (" + error_message(response) + ")");
    if (response.status == 429)
      throw herald::TransientError("bluesky limits sessions (30 per 5 minutes); will try again");
    bluesky_api::adopt(response, s);
    if (s.access.empty())
      throw herald::TransientError(
          "cannot start a bluesky session: " +
          (response.error.empty() ? error_message(response) : response.error));
    return s;
  }

  bool refresh(herald::Context& post, const std::string& base, Session& s) {
    HttpRequest r = request("POST", base + "/xrpc/com.atproto.server.refreshSession");
    r.headers = {{"Authorization", "Bearer " + s.refresh}};
    HttpResponse response = http(r);
    Session renewed;
    bluesky_api::adopt(response, renewed);
    if (renewed.access.empty()) {
      s = Session{};
      post.info("bluesky session could not be refreshed; signing in again");
      return false;
    }
    s = renewed;
    return true;
  }

  /// Links, tags and mentions as Bluesky facets (UTF-8 byte offsets, from Herald's text rules).
  /// A mention whose handle does not resolve is left as plain text.
  json facets_of(herald::Context& post, const std::string& base, const Session& s) {
    json out = json::array();
    for (const herald::TextEntity& e : post.text_entities("bluesky", post.text())) {
      json feature;
      if (e.type == "url") {
        feature = {{"$type", "app.bsky.richtext.facet#link"}, {"uri", e.value}};
      } else if (e.type == "hashtag" || e.type == "cashtag") {
        feature = {{"$type", "app.bsky.richtext.facet#tag"}, {"tag", e.value}};
      } else if (e.type == "mention") {
        HttpRequest r = request("GET", base + "/xrpc/com.atproto.identity.resolveHandle?handle=" +
                                           form_encode(e.value));
        r.headers = {{"Authorization", "Bearer " + s.access}};
        HttpResponse resolved = http(r);
        json body = json::parse(resolved.body, nullptr, false);
        if (resolved.status != 200 || !body.is_object() || !body.contains("did")) continue;
        feature = {{"$type", "app.bsky.richtext.facet#mention"}, {"did", body["did"]}};
      } else {
        continue;
      }
      out.push_back({{"index", {{"byteStart", e.start}, {"byteEnd", e.end}}},
                     {"features", json::array({feature})}});
    }
    return out;
  }

  /// The map is shared by the publish workers; each account's session is used by one at a time.
  Session& account_session(const std::string& account) {
    std::lock_guard lock(sessions_mutex_);
    return sessions_[account];
  }

  std::mutex sessions_mutex_;
  std::map<std::string, Session> sessions_;
};

}  // namespace

HERALD_PLUGIN("bluesky", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Bluesky, HERALD_KIND_PUBLISH, "posts",
                               "posts to Bluesky (createRecord with our own record key), once"))
