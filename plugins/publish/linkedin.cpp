// LinkedIn publisher: POST /rest/posts with the LinkedIn-Version and Rest.li protocol headers,
// the commentary escaped for LinkedIn's "little" text format (unescaped reserved characters make
// LinkedIn cut the text silently), the new id from the x-restli-id header of the empty 201.
// The account's handle is its author URN. An unconfirmed post is looked for among the author's
// posts by its commentary, made since the post reached its publish step (less
// clock_skew_seconds) and not already another post's; anything ambiguous stays unconfirmed for
// a person. Credential: token.
#include "common/publisher.hpp"
#include "publish/responses.hpp"
#include "text/little_text.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class LinkedIn : public Publisher {
 public:
  static constexpr auto config_keys = with_publisher_keys(std::array<herald_config_key, 4>{{
      {"version", HERALD_TYPE_STRING, 0, "202511", "the LinkedIn-Version header (YYYYMM)"},
      {"visibility", HERALD_TYPE_STRING, 0, "PUBLIC", "PUBLIC, CONNECTIONS or LOGGED_IN"},
      settle_key("60"),
      kClockSkewKey,
  }});

  explicit LinkedIn(herald::Config& config)
      : Publisher(config, "linkedin", "https://api.linkedin.com"),
        version_(config.string("version")),
        visibility_(config.string("visibility")) {
    if (version_.size() != 6 || version_.find_first_not_of("0123456789") != std::string::npos)
      config.error("version", "write the version as YYYYMM");
  }

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    const std::string author = author_of(post);
    HttpRequest r = request("POST", base + "/rest/posts");
    r.headers = headers(post);
    r.body = json{
        {"author", author},
        {"commentary", herald::text::escape_little_text(post.text())},
        {"visibility", visibility_},
        {"distribution",
         {{"feedDistribution", "MAIN_FEED"},
          {"targetEntities", json::array()},
          {"thirdPartyDistributionChannels", json::array()}}},
        {"lifecycleState", "PUBLISHED"},
        {"isReshareDisabledByAuthor",
         false}}.dump();
    return linkedin_api::created(http(r), post.now_ms());
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    // The author's posts, newest first, a page of 100 at a time, back to those older than any
    // of this post's attempts (at most kLookBack): each with this commentary is a match.
    const int64_t since = attempts_began_ms(post);
    std::vector<Candidate> matches;
    for (int start = 0; start < kLookBack; start += 100) {
      HttpRequest r =
          request("GET", base + "/rest/posts?q=author&author=" + form_encode(author_of(post)) +
                             "&count=100&start=" + std::to_string(start));
      r.headers = headers(post);
      HttpResponse answer = http(r);
      if (answer.status == 429) {
        Attempt limited = classify(answer, post.now_ms());
        return {Earlier::State::unknown, "", "", limited.reason, limited.retry_at_ms};
      }
      int64_t oldest = 0;
      bool more = false;
      if (std::string problem =
              linkedin_api::matches_page(answer, post.text(), matches, oldest, more);
          !problem.empty())
        return {Earlier::State::unknown, "", "", problem, 0};
      if (!more || (oldest > 0 && oldest < since)) return pick(post, matches);
    }
    return {Earlier::State::unknown, "", "",
            "not among the author's " + std::to_string(kLookBack) + " newest posts", 0};
  }

  static constexpr int kLookBack = 1000;

 private:
  std::vector<std::pair<std::string, std::string>> headers(herald::Context& post) const {
    return {{"Authorization", "Bearer " + credential(post, "token")},
            {"LinkedIn-Version", version_},
            {"X-Restli-Protocol-Version", "2.0.0"},
            {"Content-Type", "application/json"}};
  }
  static std::string author_of(herald::Context& post) {
    std::string author = post.field("handle");
    if (author.rfind("urn:li:", 0) != 0)
      throw std::invalid_argument("account " + post.account() +
                                  ": its handle must be the author URN (urn:li:organization:ID "
                                  "or urn:li:person:ID), got '" +
                                  author + "'");
    return author;
  }

  std::string version_;
  std::string visibility_;
};

}  // namespace

HERALD_PLUGIN("linkedin", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(LinkedIn, HERALD_KIND_PUBLISH, "posts",
                               "posts to LinkedIn (POST /rest/posts), escaped, once"))
