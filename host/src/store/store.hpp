// The store: where posts, events and the audit trail live. Backend-neutral: no database type
// crosses this interface, and every method is one transaction (all or nothing).
#pragma once

#include "engine/model.hpp"

#include <herald/result.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

struct Lease {
  std::string owner;
  int64_t expires_ms = 0;
};

/// A reply draft made for mentions[mention] of the same add_mentions call.
struct MentionReply {
  size_t mention = 0;
  Post post;
  AuditEntry audit;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Stores a new post with its first audit entry; fills in post.id.
  virtual Status insert_post(Post& post, const AuditEntry& audit) = 0;
  /// Stores many new posts, each with its first audit entry, in one transaction (imports and
  /// benchmarks). `audits[i]` belongs to `posts[i]`.
  virtual Status insert_posts(std::vector<Post>& posts, const std::vector<AuditEntry>& audits) = 0;
  virtual Result<std::optional<Post>> find_post(int64_t id) = 0;
  virtual Result<std::vector<Post>> list_posts() = 0;

  /// Stores an event for the post's current step, records it in the audit trail and wakes the
  /// post if it waits or is held. Fails (nothing written) if the post changed since `seen`.
  virtual Status add_event(const PostEvent& event, const Post& seen, const AuditEntry& audit) = 0;
  /// The events of one step of one revision of a post, oldest first.
  virtual Result<std::vector<PostEvent>> events_for(int64_t post_id, int step_index,
                                                    int revision) = 0;
  /// Every event of a post, oldest first.
  virtual Result<std::vector<PostEvent>> post_events(int64_t post_id) = 0;
  /// The events of each post's current step and revision, for many posts at once (one query).
  virtual Result<std::map<int64_t, std::vector<PostEvent>>> events_for_posts(
      const std::vector<Post>& posts) = 0;

  /// Applies transitions (each with its audit entries) and then claims up to `claim_limit`
  /// due posts for `lease`, in one transaction. Returns the newly claimed posts. Transitions
  /// whose claim was lost are skipped; `lost` counts them. Fills in the ids of the audit
  /// entries written and each post's `last_audit_id`.
  /// (write_and_claim followed by commit_open.)
  Result<std::vector<Post>> commit_and_claim(std::vector<Transition>& transitions, int64_t now_ms,
                                             int claim_limit, const Lease& lease, int64_t* lost) {
    Result<std::vector<Post>> claimed =
        write_and_claim(transitions, now_ms, claim_limit, lease, lost);
    if (!claimed) return claimed;
    if (Status s = commit_open(); !s) return s;
    return claimed;
  }

  /// commit_and_claim in two halves, so that the caller can read in the same transaction.
  /// write_and_claim writes and claims as commit_and_claim does but leaves its transaction open
  /// (on failure nothing is kept). The same thread then reads what it needs and calls
  /// commit_open() (when it fails, nothing of the transaction is kept) or rollback_open().
  /// Calls from other threads wait until then: a store may be used from several threads, and
  /// its calls take turns.
  virtual Result<std::vector<Post>> write_and_claim(std::vector<Transition>& transitions,
                                                    int64_t now_ms, int claim_limit,
                                                    const Lease& lease, int64_t* lost) = 0;
  virtual Status commit_open() = 0;
  virtual void rollback_open() = 0;

  /// Turns claims whose lease expired back into work: `ready`, or `unconfirmed` for a publish
  /// step (its network call may have happened). Returns how many were rescued.
  virtual Result<int64_t> rescue_expired(int64_t now_ms) = 0;
  /// The same for every claim of worker `owner`, whatever its lease: the worker is known to be
  /// gone. Returns how many were taken up.
  virtual Result<int64_t> rescue_owner(const std::string& owner, int64_t now_ms) = 0;

  /// The earliest wake-up of a post that is not finished, if any.
  virtual Result<std::optional<int64_t>> next_wake() = 0;

  virtual Result<std::vector<AuditRecord>> audit(std::optional<int64_t> post_id) = 0;
  /// Every audit entry in id order, with its hashes, from one consistent snapshot. `visit`
  /// returns false to stop early.
  virtual Status scan_audit(const std::function<bool(const AuditRecord&)>& visit) = 0;

  /// A person's edit: keeps the text being replaced as `superseded`, writes `updated` (its new
  /// text, revision and place in the workflow) and the audit entry. Fails (nothing written) if
  /// the post was claimed since `seen`. Fills in updated.last_audit_id.
  virtual Status edit_post(const Post& seen, Post& updated, const Revision& superseded,
                           const AuditEntry& audit) = 0;
  /// The texts a post had before each edit, oldest first.
  virtual Result<std::vector<Revision>> revisions(int64_t post_id) = 0;

  /// Records a delegation and its audit entry; fills in delegation.id.
  virtual Status add_delegation(Delegation& delegation, const AuditEntry& audit) = 0;
  virtual Result<std::vector<Delegation>> delegations() = 0;
  /// Records that a delegation was revoked (revoked_ms, revoked_by, revoke_reason), with its
  /// audit entry; failed_precondition if it was revoked before.
  virtual Status revoke_delegation(const Delegation& delegation, const AuditEntry& audit) = 0;

  /// The planned instants of an account's posts in [from_ms, to_ms), oldest first, leaving out
  /// posts that will not be published (rejected, failed, cancelled).
  virtual Result<std::vector<PlanEntry>> planned(const std::string& account, int64_t from_ms,
                                                 int64_t to_ms) = 0;
  /// The post of `account`, other than `except_post`, whose remote_id is `remote_id`; 0 for none.
  virtual Result<int64_t> remote_id_owner(const std::string& account, const std::string& remote_id,
                                          int64_t except_post) = 0;
  /// Posts planned in [from_ms, to_ms), and posts not yet planned whose requested time is in
  /// it, ordered by time; `account` "" for all.
  virtual Result<std::vector<Post>> calendar(int64_t from_ms, int64_t to_ms,
                                             const std::string& account) = 0;

  /// Starts a pause and records its audit entry; fails (nothing written) if the same scope is
  /// already paused. Fills in pause.id.
  virtual Status add_pause(Pause& pause, const AuditEntry& audit) = 0;
  /// Ends the active pause of `account` ("" for the pause of every account) and records the
  /// audit entry. Returns the pause as ended; not_found if that scope is not paused.
  virtual Result<Pause> end_pause(const std::string& account, const std::string& by,
                                  const std::string& reason, int64_t at_ms,
                                  const AuditEntry& audit) = 0;
  /// Rate limits of accounts still in force at `now_ms`: account -> when they reset.
  virtual Result<std::map<std::string, int64_t>> account_limits(int64_t now_ms) = 0;
  /// The text limits the networks reported for accounts: account -> characters.
  virtual Result<std::map<std::string, int64_t>> text_limits() = 0;
  /// Pauses in effect, oldest first.
  virtual Result<std::vector<Pause>> active_pauses() = 0;
  /// Posts of `account` ("" for all) that are not finished and were due by `at_ms`, counted by
  /// whether their step is a schedule step (they get a new slot when the step runs again).
  virtual Result<std::pair<int64_t, int64_t>> due_counts(const std::string& account,
                                                         int64_t at_ms) = 0;

  /// Adds (or replaces, for the same instant) engagement history of an account. Returns how
  /// many rows were new.
  virtual Result<int64_t> import_engagement(const std::string& account,
                                            const std::vector<EngagementRow>& rows) = 0;
  virtual Result<std::vector<EngagementRow>> engagement(const std::string& account) = 0;

  /// Adds mentions and the reply drafts made for them in one transaction, giving each mention
  /// and post its id; a mention already imported (same network and source_id) is left out
  /// with its reply, and its id stays 0 (as does its reply's).
  virtual Status add_mentions(std::vector<Mention>& mentions,
                              std::vector<MentionReply>& replies) = 0;
  /// Opts a person in to (or out of) sharing an account's posts; false when nothing changed.
  virtual Result<bool> set_advocate(const std::string& person, const std::string& account,
                                    bool opted_in, int64_t now_ms) = 0;
  /// The accounts each person opted in to, by person.
  virtual Result<std::map<std::string, std::vector<std::string>>> advocates() = 0;
  /// Mentions by score, highest first (then newest first).
  virtual Result<std::vector<Mention>> mentions() = 0;
  /// Mentions whose mute, block or report is still to be sent to the network (pending), or whose
  /// call was out when the process stopped (sending), oldest first.
  virtual Result<std::vector<Mention>> pending_moderation() = 0;
  /// What the network did with a mention's mute, block or report: sent, not offered, refused
  /// (or still pending), and why.
  virtual Status set_moderation(int64_t mention_id, const std::string& state,
                                const std::string& note) = 0;
  /// How many mentions by `author` on `network` written in [since_ms, before_ms) a moderation
  /// rule stopped.
  virtual Result<int64_t> moderated_count(const std::string& network, const std::string& author,
                                          int64_t since_ms, int64_t before_ms) = 0;

  virtual Result<std::optional<std::string>> meta(const std::string& key) = 0;
  virtual Status set_meta(const std::string& key, const std::string& value) = 0;

  virtual std::string location() const = 0;
};

/// Opens (creating if needed, migrating if older) a SQLite store. Refuses a file that is not a
/// Herald database, whose header or schema cannot be read, or that was written by a newer
/// Herald. The rest of the file is not checked (store/integrity.hpp does, for `herald doctor`).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace herald
