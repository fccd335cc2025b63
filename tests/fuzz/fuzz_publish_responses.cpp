// What the network publishers make of an answer (plugins/common/publisher.cpp and
// plugins/publish/responses.cpp): a status, headers and a body from the input, handed to each
// publisher's reading of a create call, of a reconcile lookup, of a session, of a mentions page
// and of a rate limit. A publisher may refuse an answer only as the publish protocol does:
// with AuthError, herald::TransientError or std::runtime_error (which the SDK turns into a
// retry, a hold or a failure with a message); anything else escaping, or a crash, is a bug.
#include "publish/responses.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>

namespace {

using namespace herald::builtin;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

HttpResponse make_response(FuzzedDataProvider& in) {
  static constexpr long kStatuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 409,
                                       422, 429, 500, 502, 503, 0,   302, 599};
  static const char* const kHeaders[] = {"x-rate-limit-remaining",
                                         "x-rate-limit-reset",
                                         "x-app-limit-24hour-remaining",
                                         "x-app-limit-24hour-reset",
                                         "x-user-limit-24hour-remaining",
                                         "x-user-limit-24hour-reset",
                                         "x-ratelimit-remaining",
                                         "x-ratelimit-reset",
                                         "ratelimit-remaining",
                                         "ratelimit-reset",
                                         "ratelimit-policy",
                                         "retry-after",
                                         "x-restli-id",
                                         "content-type"};
  HttpResponse r;
  r.status = in.ConsumeBool() ? in.PickValueInArray(kStatuses) : in.ConsumeIntegral<long>();
  const int headers = in.ConsumeIntegralInRange<int>(0, 6);
  for (int i = 0; i < headers; ++i)
    r.headers[in.PickValueInArray(kHeaders)] = in.ConsumeRandomLengthString(40);
  if (in.ConsumeIntegralInRange<int>(0, 9) == 0) r.error = in.ConsumeRandomLengthString(20);
  r.maybe_sent = in.ConsumeBool();
  return r;
}

/// Runs `read`, letting through only the refusals the publish protocol knows.
template <typename F>
void refusable(F&& read) {
  try {
    read();
  } catch (const AuthError& e) {
    check(*e.what() != '\0');
  } catch (const herald::TransientError& e) {
    check(*e.what() != '\0');
  } catch (const std::runtime_error& e) {
    check(*e.what() != '\0');
  }
}

void check_attempt(const Attempt& a, int64_t now_ms) {
  if (a.failure == Failure::none) {
    check(!a.remote_id.empty() || a.reason.empty());
  } else {
    check(!a.reason.empty());
  }
  if (a.failure == Failure::rate_limited) check(a.retry_at_ms > now_ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int which = in.ConsumeIntegralInRange<int>(0, 17);
  const int64_t now_ms = in.ConsumeIntegralInRange<int64_t>(0, 4'102'444'800'000);  // to 2100
  const std::string text = in.ConsumeRandomLengthString(20);
  HttpResponse r = make_response(in);
  r.body = in.ConsumeRemainingBytesAsString();

  switch (which) {
    case 0: {
      for (const char* network : {"x", "mastodon", "bluesky", "linkedin", "webhook"})
        check_attempt(classify_response(network, r, now_ms), now_ms);
      (void)response_error_message(r);
      break;
    }
    case 1: {
      RateLimit limit = parse_rate_limit(r, now_ms);
      (void)limit;
      (void)parse_iso8601_ms(r.body);
      break;
    }
    case 2: refusable([&] { check_attempt(x_api::created(r, now_ms), now_ms); }); break;
    case 3: refusable([&] { check_attempt(x_api::reposted(r, now_ms, text), now_ms); }); break;
    case 4:
      refusable([&] {
        std::string id;
        std::string problem = x_api::user_id(r, id);
        check(!problem.empty() || !id.empty());
      });
      break;
    case 5:
      refusable([&] {
        std::string next;
        (void)x_api::recent_page(r, text, next);
        (void)x_api::reposters_page(r, text, "1", next);
      });
      break;
    case 6:
      refusable([&] {
        std::string newest = text, next;
        for (const auto& mention : x_api::mentions_page(r, "corp", newest, next))
          (void)mention.dump();
        (void)x_api::looked_up_id(r);
      });
      break;
    case 7: refusable([&] { check_attempt(mastodon_api::status(r), now_ms); }); break;
    case 8: check(mastodon_api::instance_limit(r) >= 0); break;
    case 9:
      refusable([&] {
        std::string cursor = text;
        bool end = false;
        for (const auto& mention : mastodon_api::notifications_page(r, "corp", cursor, end))
          (void)mention.dump();
        (void)mastodon_api::looked_up_id(r);
      });
      break;
    case 10: (void)mastodon_api::plain_text(r.body); break;
    case 11: {
      refusable([&] {
        bluesky_api::Session s;
        bluesky_api::adopt(r, s);
        (void)bluesky_api::expired(r);
      });
      (void)bluesky_api::jwt_expiry_ms(r.body);
      break;
    }
    case 12:
      refusable(
          [&] { check_attempt(bluesky_api::created(r, now_ms, "https://bsky.app"), now_ms); });
      break;
    case 13:
      refusable([&] {
        Earlier e = bluesky_api::earlier_record(r, text, in.ConsumeBool() ? "" : "at://did/x/y",
                                                "did:plc:corp", "3kabc");
        check(e.state != Earlier::State::unknown || !e.reason.empty());
      });
      break;
    case 14:
      refusable([&] {
        Attempt failed;
        nlohmann::json value;
        std::string cid =
            bluesky_api::record_cid(r, now_ms, "at://" + text, "the post", failed, &value);
        check(!cid.empty() || !failed.reason.empty());
        (void)bluesky_api::web_url("at://" + text);
      });
      break;
    case 15: refusable([&] { check_attempt(linkedin_api::created(r, now_ms), now_ms); }); break;
    case 16: refusable([&] { (void)linkedin_api::posts_page(r, text); }); break;
    default:
      refusable([&] { check_attempt(webhook_api::created(r, now_ms, "key-1"), now_ms); });
      break;
  }
  return 0;
}
