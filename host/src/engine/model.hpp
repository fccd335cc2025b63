// The records the engine and the store share: a post at a step, an event, an audit entry.
#pragma once

#include <herald/host.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

enum class PostState {
  ready,        // due at wake_ms
  waiting,      // for a time and/or an expected event
  held,         // for a person
  in_flight,    // claimed by a worker; its step is running
  unconfirmed,  // a publish call may have happened; reconcile before anything else
  quarantined,  // its step crashed or hung the worker too often; a person releases it
  done,
  rejected,
  failed,
  cancelled,
};

std::string_view to_string(PostState state);

/// Lists kept as text, one item per line (tags, roles, expectations).
std::string join_lines(const std::vector<std::string>& items);
std::vector<std::string> split_lines(const std::string& text);
std::optional<PostState> parse_post_state(std::string_view text);
bool is_terminal(PostState state);

/// Why a post that already waits for its account's rate limit waits on, until `until_ms`: the
/// reason shown while its wake time follows the limit (the audit trail keeps the first).
std::string rate_limit_wait_reason(const std::string& account, int64_t until_ms, bool unconfirmed);

struct Post {
  int64_t id = 0;
  std::string workflow;
  std::string account;
  std::string author;
  std::string text;
  std::vector<std::string> tags;
  int64_t created_ms = 0;
  int64_t publish_at_ms = 0;
  std::string zone;
  int step_index = 0;
  std::string step_kind;
  PostState state = PostState::ready;
  int64_t wake_ms = 0;
  std::string reason;
  std::vector<Expectation> expects;
  int attempt = 0;
  int64_t claim_seq = 0;
  PostState claimed_from = PostState::ready;  // the state a claim took the post from
  std::string lease_owner;
  int64_t lease_expires_ms = 0;
  std::string idempotency_key;
  std::string remote_id;
  std::string note;
  int64_t updated_ms = 0;
  int step_events = 0;          // events recorded for the current step
  int64_t last_audit_id = 0;    // the newest entry of the post's audit trail
  int revision = 1;             // 1 + the number of edits by people
  std::string stage;            // the current step's stage (an approval chain's), or ""
  int64_t step_entered_ms = 0;  // when the post reached its current step
  std::string time_note{};      // what a DST policy did with the requested time, or ""
  int64_t planned_ms = 0;       // the instant its schedule step planned to publish (0: none)
  std::string plan_note{};      // why that instant (slot, cadence, coverage)
  // Since when the post waits at its publish step for its account's rate limit, as recorded in
  // its audit trail (0: it does not). Later wake-ups that find the limit still in force only
  // move its wake time (docs/publishing.md#rate-limits).
  int64_t limited_since_ms = 0;
};

struct PostEvent {
  int64_t id = 0;
  int64_t post_id = 0;
  int step_index = 0;
  std::string type;
  std::string actor;
  std::string comment;
  int64_t at_ms = 0;
  std::string on_behalf{};     // the person a delegate acted for, or ""
  std::string content_hash{};  // SHA-256 of the text the person saw (approvals are bound to it)
  std::string stage{};         // the stage acted on, or ""
  int revision = 1;
};

/// A text a post had before a person edited it.
struct Revision {
  int64_t post_id = 0;
  int revision = 0;
  std::string text;
  std::string editor;  // who replaced it
  int64_t at_ms = 0;   // when it was replaced
  std::string reason;
};

/// `from` lets `to` act for them between since_ms and until_ms.
struct Delegation {
  int64_t id = 0;
  std::string from;
  std::string to;
  int64_t since_ms = 0;
  int64_t until_ms = 0;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0: not revoked
  std::string revoked_by;
  std::string revoke_reason;
};

/// One post's place in an account's plan.
struct PlanEntry {
  int64_t post_id = 0;
  int64_t at_ms = 0;
  PostState state = PostState::waiting;
};

/// A crisis pause: `account` ("" for every account) stops until someone resumes it.
struct Pause {
  int64_t id = 0;
  std::string account;
  std::string reason;
  std::string paused_by;
  int64_t paused_ms = 0;
  std::string resumed_by{};
  int64_t resumed_ms = 0;  // 0 while active
  std::string resume_reason{};
};

/// How one published post did: the history best-time suggestions are made from.
struct EngagementRow {
  int64_t at_ms = 0;
  int64_t impressions = 0;
  int64_t engagements = 0;
};

/// A mention of one of the company's accounts, as imported, scored and decided.
struct Mention {
  int64_t id = 0;
  std::string source_id;  // the network's id of the mention (unique per network)
  std::string network;
  std::string account;  // the company's account it mentions
  std::string author;   // the handle of whoever wrote it
  int64_t followers = 0;
  int64_t engagement = 0;
  std::string text;
  int64_t at_ms = 0;        // when it was written
  int64_t imported_ms = 0;  // when Herald read it
  double score = 0;
  std::string score_detail;  // the formula with this mention's numbers
  std::string action;        // answer, ignore, mute, block, report, or "" (in the inbox)
  std::string rule;          // the moderation rule or route that decided
  int64_t reply_post_id = 0;
  bool from_network{};  // source_id is the network's own id (a reply can be threaded to it)
  // A mute, block or report sent to the network: "" (nothing to send), pending, sent,
  // not offered (the network has no such action) or refused; and why.
  std::string moderation{};
  std::string moderation_note{};
};

/// A SHA-256 digest (an audit entry's hash, as the store keeps it).
using Digest = std::array<unsigned char, 32>;

struct AuditEntry {
  int64_t post_id = 0;
  int64_t at_ms = 0;
  std::string actor;
  std::string action;
  std::string step;
  std::string from_state;
  std::string to_state;
  std::string detail;
  int64_t id = 0;       // given by the store when written
  int64_t prev_id = 0;  // the post's previous entry (0: the first)
  Digest hash{};        // given by the store: see store/audit_chain.hpp
};

/// The new state of one claimed post and what to record with it. Applied only if the post's
/// claim_seq still equals `expected_claim_seq` (fencing: a rescued claim cannot overwrite).
struct Transition {
  Post post;
  int64_t expected_claim_seq = 0;
  std::vector<AuditEntry> audit;
  std::vector<PostEvent> emitted;        // events emitted by the step, stored with the transition
  bool text_changed = false;             // a step rewrote the post's text
  bool plan_changed = false;             // planned_ms changed (the plan index is rewritten)
  int64_t account_limited_until_ms = 0;  // a network's rate limit of the post's account
  int64_t network_char_limit = 0;        // the text limit the account's network reported
  std::vector<Post> spawned{};           // new posts the step made, each with its audit entry
  std::vector<AuditEntry> spawned_audit{};
  // A claimed post given back without a step run (a pause, a rate limit it already waits for):
  // written like a transition, but not counted as one (RunSummary::transitions).
  bool handed_back = false;
};

}  // namespace herald
