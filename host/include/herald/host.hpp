// The embeddable Herald host: open a workflow configuration, submit posts, record approvals,
// query where posts are, and run the engine. This is everything the `herald` CLI uses.
//
// Example:
//   auto host = herald::Host::open("company.yaml");
//   if (!host) return fail(host.status());
//   herald::SubmitRequest request;
//   request.workflow = "announce";
//   request.account = "corp";
//   request.author = "ana";
//   request.text = "We are hiring!";
//   auto id = (*host)->submit(request);
//   (*host)->approve(*id, "mo", "looks good");
//   (*host)->run(herald::RunOptions{});
#ifndef HERALD_HOST_HPP
#define HERALD_HOST_HPP

#include <herald/result.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

struct Mention;  // a stored mention (internal)

/// Where time comes from. The engine reads time only through a Clock.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix time in milliseconds.
  virtual int64_t now_ms() const = 0;
  /// Lets time pass until `at_ms` (a real clock sleeps, a virtual clock jumps).
  virtual void advance_to(int64_t at_ms) = 0;
  virtual bool is_virtual() const = 0;
};

/// The wall clock.
std::shared_ptr<Clock> make_real_clock();
/// A clock that only moves when told to: a week of schedule runs in a second.
std::shared_ptr<Clock> make_virtual_clock(int64_t start_ms);

class ScriptRuntime;  // hooks and steps written in Python (set by `herald` and the Python module)

struct HostOptions {
  /// Null: the real clock, unless the store remembers a virtual clock from `run --clock virtual`.
  std::shared_ptr<Clock> clock;
  /// Resolve every ${env:..}/${file:..} credential at open (needed to run; not to query).
  bool resolve_secrets = false;
  /// Open (and create) the store; `herald validate` does not need it.
  bool open_store = true;
  /// Posts claimed and committed per engine round (group commit).
  int batch_size = 1024;
  /// Runs the configuration's Python hooks and `python:` steps. The `herald` program and the
  /// Python module set it; a configuration that uses Python cannot be opened without it.
  std::shared_ptr<ScriptRuntime> scripting;
};

struct SubmitRequest {
  std::string workflow;
  std::string account;
  std::string author;
  std::string text;
  std::vector<std::string> tags;
  /// Empty: publish as soon as the workflow allows. Otherwise "2026-12-01T09:00:00Z",
  /// "2026-12-01T09:00:00+01:00", or "2026-12-01 09:00 America/New_York"; a time without a
  /// zone is read in the account's time zone.
  std::string at;
  /// What to do when `at` is a local time that a DST change skips or repeats: reject,
  /// shift_forward, earliest or latest. Empty: the account's `dst_policy` (shift_forward by
  /// default).
  std::string dst_policy{};
};

/// A request that Host::submit_many refused.
struct SubmitProblem {
  size_t index = 0;   // its position in the requests, from 0
  std::string field;  // workflow, account, author, text, tags, at or dst_policy
  std::string message;
};

/// An expected event: who may act on a waiting or held post.
struct Expectation {
  std::string type;  // approve, reject, clear, require_edit, edit
  std::string role;  // a role, "team:NAME", "person:ID", or "" for anyone
};

struct PostView {
  int64_t id = 0;
  std::string workflow;
  std::string account;
  std::string author;
  std::string text;
  std::vector<std::string> tags;
  std::string state;  // ready, waiting, held, in_flight, unconfirmed, done, rejected, failed, ...
  int step_index = 0;
  std::string step;       // the current step's name, or "" once finished
  std::string step_kind;  // draft, approve, legal_review, schedule, publish, amplify
  std::string reason;     // why it is in this state
  std::vector<Expectation> expects;
  int64_t wake_ms = 0;        // when it is next looked at (0: only on an event)
  int64_t publish_at_ms = 0;  // requested publication time (0: as soon as possible)
  std::string zone;           // the IANA zone the time was meant in
  std::string remote_id;
  int attempt = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int revision = 1;           // 1 + the number of edits
  std::string stage;          // the approval stage it waits at, or ""
  int64_t step_since_ms = 0;  // when it reached its current step
  std::string time_note;      // what a DST policy did with the requested time, or ""
  int64_t planned_ms = 0;     // when its schedule step plans to publish it (0: not planned yet)
  std::string plan_note;      // why then
  std::string paused;         // the reason its account (or everything) is paused, or ""
};

/// A suggested weekly slot, with the evidence behind it.
struct SlotSuggestion {
  int weekday = 0;      // 0 Monday .. 6 Sunday
  int minute = 0;       // minute of the day in the account's timezone (on the hour)
  double rate = 0;      // smoothed engagement rate (engagements per impression)
  double raw_rate = 0;  // this hour's own rate, before smoothing
  double lift = 0;      // rate / the account's overall rate
  int64_t posts = 0;    // posts in the history at this hour of the week
  int64_t impressions = 0;
  int64_t engagements = 0;
};

/// A crisis pause.
struct PauseView {
  int64_t id = 0;
  std::string account;  // "" for every account
  std::string reason;
  std::string paused_by;
  int64_t paused_ms = 0;
  std::string resumed_by;
  int64_t resumed_ms = 0;  // 0 while in effect
  std::string resume_reason;
};

/// What `herald resume` released.
struct ResumeSummary {
  PauseView pause;
  int64_t due = 0;        // posts that became due during the pause
  int64_t replanned = 0;  // of those, posts waiting for their slot: they take the next free one
  std::vector<PauseView> still_paused;  // other pauses still in effect
};

/// What `herald engagement import` read.
struct EngagementImport {
  int64_t rows = 0;
  int64_t added = 0;
  int64_t replaced = 0;  // rows for instants already imported (the new numbers win)
  int64_t first_ms = 0;
  int64_t last_ms = 0;
};

/// A mention of one of the company's accounts, as `herald inbound list` shows it.
struct MentionView {
  int64_t id = 0;
  std::string network;
  std::string account;  // the company's account it mentions
  std::string author;   // who wrote it
  std::string text;
  std::string source_id;  // the network's id
  int64_t followers = 0;
  int64_t engagement = 0;
  int64_t at_ms = 0;
  double score = 0;          // influence: the inbox orders by it, highest first
  std::string score_detail;  // the formula with this mention's numbers
  /// answer (a reply draft was made), ignore, mute, block or report (a moderation rule fired;
  /// it is never answered), or "" (waiting in the inbox for a person).
  std::string action;
  std::string rule;  // the moderation rule or route that decided
  int64_t reply_post_id = 0;
  std::string reply_state;  // the reply draft's state, or ""
  /// A mute, block or report on the network: "" (nothing to send), pending, sent, not offered
  /// (the network or its publisher has no such action), refused, or unknown (a report that was
  /// out when the process stopped, not sent again); the note says why.
  std::string moderation;
  std::string moderation_note;
};

/// What sending the pending mutes, blocks and reports to the networks did.
struct ModerationSent {
  int64_t sent = 0;
  int64_t later = 0;        // the network did not answer: still pending, sent next time
  int64_t not_offered = 0;  // the network or its publisher has no such action
  int64_t refused = 0;
  int64_t unknown = 0;  // a report that was out when the process stopped: not sent again
};

/// What `herald inbound import` did.
struct InboundImport {
  int64_t rows = 0;
  int64_t added = 0;
  int64_t duplicates = 0;     // mentions imported before (same network and id)
  int64_t answered = 0;       // reply drafts made
  int64_t moderated = 0;      // ignored, muted, blocked or reported
  int64_t inbox = 0;          // left for a person
  ModerationSent moderation;  // mutes, blocks and reports sent to the networks afterwards
};

/// What `herald inbound fetch` did, per account.
struct InboundFetch {
  struct Account {
    std::string account;
    InboundImport imported;
    std::string cursor;  // where the next fetch starts
    std::string note;    // why nothing was fetched, when nothing was
  };
  std::vector<Account> accounts;
};

/// What amplified a published post: share requests sent, and shares people reported.
struct AmplifyStatus {
  PostView post;
  int64_t requests_sent = 0;
  int64_t requests_over_cap = 0;  // people who had had their daily number of requests
  int64_t requests_refused = 0;   // the notifier refused them for good (see the audit trail)
  struct Share {
    std::string person;
    std::string url;
    int64_t at_ms = 0;
  };
  std::vector<Share> shares;
};

struct AccountDescription {
  std::string name;
  std::string network;
  std::string handle;
  std::string timezone;
};

/// A post waiting for one person, as `herald inbox` shows it.
struct InboxItem {
  PostView post;
  std::vector<std::string> actions;   // what this person may do: approve, reject, clear, ...
  std::string on_behalf;              // the person they would act for (delegation), or ""
  std::vector<std::string> findings;  // JSON objects: rule, severity, message, start, end, excerpt
};

/// The text a post had before an edit.
struct RevisionView {
  int revision = 0;
  std::string text;
  std::string editor;
  int64_t replaced_ms = 0;
  std::string reason;
};

/// What one signed checkpoint says about the audit trail (docs/approvals.md).
struct CheckpointCheck {
  std::string source;            // the checkpoint file
  int64_t size = 0;              // the entries it vouches for: 1..size (0: unreadable)
  bool holds = false;            // the trail has those entries, and entry `size` has its hash
  int64_t first_missing_id = 0;  // the trail ends before `size`: the first entry missing
  std::string problem;           // why it does not hold
};

/// What `herald audit verify` found.
struct AuditVerification {
  bool intact = true;     // the chain is whole and every checkpoint holds
  int64_t entries = 0;    // entries checked
  int64_t broken_id = 0;  // the first entry that breaks the chain (0: none)
  std::string problem;    // why it breaks
  int64_t head_id = 0;    // the last entry of the intact chain
  std::string head_hash;  // its hash: record it elsewhere to detect later truncation
  std::vector<CheckpointCheck> checkpoints;  // each checkpoint checked, in the order given
};

/// What `herald audit checkpoint` did.
struct AuditCheckpointResult {
  bool written = false;        // false: the trail is broken, empty, or this size was written
  std::string file;            // the checkpoint file (written now or before)
  std::string text;            // the signed checkpoint
  int64_t size = 0;            // entries it vouches for
  std::string head_hash;       // hex
  AuditVerification verified;  // the check made before signing: never sign a broken trail
};

struct AuditRecord {
  int64_t id = 0;
  int64_t post_id = 0;
  int64_t at_ms = 0;
  std::string actor;  // a person, or "engine"
  std::string action;
  std::string step;
  std::string from_state;
  std::string to_state;
  std::string detail;
  std::string prev_hash;  // the hash of the entry before this one (all zeros for the first)
  std::string hash;       // SHA-256 over prev_hash and this entry's fields
};

struct StepDescription {
  std::string name;
  std::string kind;
  std::string plugin;
  std::string condition;  // the `when:` condition, rendered, or ""
};

struct WorkflowDescription {
  std::string name;
  std::string description;
  std::vector<StepDescription> steps;
};

struct PluginConfigKey {
  std::string name;
  std::string type;
  bool required = false;
  std::string default_value;
  std::string description;
};

struct PluginComponentDescription {
  std::string kind;
  std::string name;
  std::string description;
  std::vector<PluginConfigKey> config_keys;
};

struct PluginDescription {
  std::string name;
  std::string version;
  std::string license;
  std::string file;
  std::string abi;  // "1.0"
  std::vector<PluginComponentDescription> components;
};

struct RunOptions {
  /// Stop when no post is due (on a virtual clock: jump to the next wake-up first, and stop
  /// when nothing is left to wake up).
  bool until_idle = true;
  /// Stop after this many engine rounds (0: no limit).
  int max_rounds = 0;
  /// On a virtual clock: do not move time past this instant (0: no limit).
  int64_t until_ms = 0;
  /// Set from another thread or a signal handler to stop after the current round.
  const std::atomic<bool>* stop = nullptr;
  /// Set (after `stop`) to stop without waiting for the steps still running: they are
  /// abandoned (see `abandon`).
  const std::atomic<bool>* stop_now = nullptr;
  /// Called, from the run's watchdog thread, to abandon steps that will not return in time: a
  /// step has run past its deadline (`timeout_seconds`) while the run is stopping, or at once if
  /// `abandon_overdue_steps`; or `stop_now` was set while steps run. It must end the process
  /// (the CLI exits): the worker's journal then says which step of which post it abandoned, and
  /// the next worker counts an attempt for that post and takes up the others (see
  /// docs/reliability.md). Unset, overdue steps are only reported, and the run waits for them.
  std::function<void(const std::string& why)> abandon = nullptr;
  /// Abandon a step as soon as it runs past its deadline (a supervised worker: `herald run
  /// --supervise` starts a new one).
  bool abandon_overdue_steps = false;
};

struct RunSummary {
  int64_t rounds = 0;
  int64_t steps_run = 0;
  int64_t transitions = 0;
  int64_t finished = 0;  // posts that reached done, rejected, failed or cancelled
  int64_t done = 0;      // of those: finished every step
  int64_t rejected = 0;  // a step rejected them
  int64_t failed = 0;    // a step failed them, or their attempts ran out
};

/// Describes the plugins found in `plugin_paths` (or the built-in folder when empty), without a
/// workflow configuration.
Result<std::vector<PluginDescription>> describe_plugins(
    const std::vector<std::string>& plugin_paths);

/// The folder Herald's own plugins are installed in.
std::string builtin_plugin_dir();

/// For a process whose main work is running the engine (`herald run`, a dedicated worker): asks
/// the C library to keep `bytes` of freed memory at the top of the heap instead of returning it
/// to the kernel. An engine round allocates and frees a few megabytes (the claimed posts, their
/// transitions and audit entries); without this, glibc hands them back at the end of every
/// round and the next round faults them in again, page by page. Process-wide, so an embedding
/// application decides; a no-op where the C library has no such setting.
void keep_heap_between_rounds(size_t bytes = size_t{64} << 20);

/// A delegation, as `herald delegate list` shows it.
struct DelegationView {
  int64_t id = 0;
  std::string from;  // who delegated
  std::string to;    // who acts for them
  int64_t since_ms = 0;
  int64_t until_ms = 0;
  std::string created_by;
  int64_t created_ms = 0;
  std::string state;       // active, expired (its end passed) or revoked
  int64_t revoked_ms = 0;  // 0: not revoked
  std::string revoked_by;  // the person who revoked it
  std::string revoke_reason;
};

class Host {
 public:
  /// Loads the configuration, its plugins and its store. Every error says file:line:column.
  static Result<std::unique_ptr<Host>> open(const std::string& config_path,
                                            HostOptions options = {});
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  Result<int64_t> submit(const SubmitRequest& request);
  /// Submits many posts at once: every request is checked as submit() checks it, then all of
  /// them are stored in one transaction, or none. Returns the ids in the order of `requests`.
  /// When any request is refused nothing is stored, and the status (the first refusal's code)
  /// lists each refused request as "row INDEX (FIELD): why", INDEX counting from 0; `problems`,
  /// when given, receives all of them.
  Result<std::vector<int64_t>> submit_many(const std::vector<SubmitRequest>& requests,
                                           std::vector<SubmitProblem>* problems = nullptr);
  /// Records an approval. `stage`, when given, must be the stage the post waits at. A person
  /// may approve directly (role, team or name) or for someone who delegated to them.
  Status approve(int64_t post_id, const std::string& person, const std::string& comment,
                 const std::string& stage = "");
  /// Records a rejection; the reason is required. What follows (back to the author for
  /// revision, or the end) is the waiting step's setting.
  Status reject(int64_t post_id, const std::string& person, const std::string& reason,
                const std::string& stage = "");
  /// Legal's decision on a post held by legal review: "clear", "reject" or "require_edit"
  /// (the last two need a reason).
  Status legal_decision(int64_t post_id, const std::string& person, const std::string& decision,
                        const std::string& reason);
  /// Replaces the text of a post that is not finished (by its author, or a person with role
  /// `editor`). The old text is kept as a revision; the post goes back to its first step, and
  /// approvals given to the old text no longer count.
  Status edit(int64_t post_id, const std::string& person, const std::string& text,
              const std::string& reason);
  /// Lets `to` act for `from` until `until_ms`; returns the delegation's id. Refuses unknown
  /// people, a time in the past and circular delegation.
  Result<int64_t> delegate(const std::string& from, const std::string& to, int64_t until_ms);

  /// Tries a held post again (after its account's credentials were fixed, for example).
  Status retry(int64_t post_id, const std::string& person, const std::string& reason);

  /// Lets a post whose requested time breaks its account's cadence or falls in a blackout go
  /// out at that time anyway; `person` must have the right the schedule step names.
  Status mark_urgent(int64_t post_id, const std::string& person, const std::string& reason);

  /// Stops every post of `account` ("" for every account) that is not yet published, at once,
  /// including posts already due. Refused if that scope is already paused.
  Result<PauseView> pause(const std::string& account, const std::string& person,
                          const std::string& reason);
  /// Ends the pause of `account` ("" for the pause of every account). Posts whose time is still
  /// ahead keep it; posts whose slot passed during the pause take the next free slot.
  Result<ResumeSummary> resume(const std::string& account, const std::string& person,
                               const std::string& reason);
  /// Pauses in effect.
  Result<std::vector<PauseView>> pauses();

  /// Imports an account's engagement history from CSV (timestamp, impressions, engagements).
  /// All rows or none: a bad row is reported with its line and nothing is imported.
  Result<EngagementImport> import_engagement(const std::string& account,
                                             const std::string& csv_path);
  /// The best weekly slots from the account's history, best first (empty without history).
  Result<std::vector<SlotSuggestion>> best_slots(const std::string& account, size_t count);
  /// Posts planned (or requested, if not planned yet) in [from_ms, to_ms), by time;
  /// `account` "" for all.
  Result<std::vector<PostView>> calendar(int64_t from_ms, int64_t to_ms,
                                         const std::string& account);

  /// Imports mentions from JSON lines ({"author", "text", "network", "followers",
  /// "engagement", "account", "id", "at"}): each is scored, checked by the moderation rules and
  /// routed (see docs/inbound.md). All lines or none: a bad line is reported with its number.
  Result<InboundImport> import_mentions(const std::string& jsonl_path);
  /// Fetches the mentions of the inbound accounts (or of `account`) from their networks, through
  /// the publishers that offer it, and imports them as import_mentions does. Each account's
  /// cursor moves on only once its mentions are stored.
  Result<InboundFetch> fetch_mentions(const std::string& account = "");
  /// Sends the mutes, blocks and reports still pending to the networks, through the account's
  /// publisher (import_mentions and fetch_mentions do this after storing the mentions).
  Result<ModerationSent> send_moderation();
  /// Opts `person` in to sharing `account`'s posts (employee advocacy), or out; false when it
  /// was already so.
  Result<bool> advocacy(const std::string& person, const std::string& account, bool opted_in);
  /// The accounts each person opted in to, by person.
  Result<std::map<std::string, std::vector<std::string>>> advocates();
  /// Records that `person` shared the published post (at `url`), on the post's trail.
  Status report_share(int64_t post_id, const std::string& person, const std::string& url);
  Result<AmplifyStatus> amplify_status(int64_t post_id);

  /// Mentions, the most influential first. With a person: the ones waiting in the inbox and
  /// those whose reply draft waits for that person.
  Result<std::vector<MentionView>> mentions(const std::string& person = "");

  /// What waits for this person, oldest first.
  Result<std::vector<InboxItem>> inbox(const std::string& person);
  Result<std::vector<RevisionView>> revisions(int64_t post_id);

  Result<PostView> post(int64_t post_id);
  Result<std::vector<PostView>> posts();
  Result<std::vector<AuditRecord>> audit(std::optional<int64_t> post_id);
  /// Checks the whole audit chain.
  Result<AuditVerification> verify_audit();
  /// Checks the chain and each signed checkpoint: `checkpoints` are files, or folders whose
  /// *.checkpoint files are all read. Signatures are checked with `public_key_pem` when given,
  /// else with the configured `audit.checkpoints.key`.
  Result<AuditVerification> verify_audit(const std::vector<std::string>& checkpoints,
                                         const std::string& public_key_pem = "");
  /// Verifies the trail (against the checkpoints already in the configured folder too) and,
  /// when it is intact and has grown, signs a checkpoint of it into that folder.
  Result<AuditCheckpointResult> checkpoint_audit();
  /// Where signed checkpoints are written (`audit.checkpoints.directory`; "" if none).
  std::string audit_checkpoint_directory() const;
  /// The checkpoint signing key's public half: PEM, then the note verifier key on a line.
  Result<std::string> audit_public_key();
  /// Visits audit entries at or after `since_ms`, in order, from one snapshot.
  Status scan_audit(int64_t since_ms, const std::function<void(const AuditRecord&)>& visit);

  /// Delegations, oldest first: the ones in effect, or with `include_ended` also those that
  /// expired or were revoked.
  Result<std::vector<DelegationView>> delegations(bool include_ended = false);
  /// Ends a delegation now. `person` is the one who delegated or the delegate; `reason` is kept
  /// in the audit trail. Refuses an unknown id and a delegation that already ended.
  Result<DelegationView> revoke_delegation(int64_t delegation_id, const std::string& person,
                                           const std::string& reason);

  /// Runs the worker loop in this thread.
  Result<RunSummary> run(const RunOptions& options);

  std::vector<WorkflowDescription> workflows() const;
  /// The configuration's notifiers (name, kind "notify", plugin/component).
  std::vector<StepDescription> notifiers() const;
  /// The inbound steps every mention goes through, in order (name, kind "inbound",
  /// plugin/component).
  std::vector<StepDescription> inbound_steps() const;
  std::vector<AccountDescription> accounts() const;
  std::vector<PluginDescription> plugins() const;
  std::string store_location() const;
  Clock& clock();
  /// Makes `clock` the host's clock from now on (for example a virtual clock for a test run).
  Status use_clock(std::shared_ptr<Clock> clock);

 private:
  struct Impl;
  explicit Host(std::unique_ptr<Impl> impl);
  /// Scores, moderates and routes new mentions, stores them, and drafts the replies.
  Result<InboundImport> triage(std::vector<Mention>& mentions);
  /// send_moderation, after an import: a failure is logged, and what is not sent stays pending.
  ModerationSent send_moderation_now();
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald

#endif  // HERALD_HOST_HPP
