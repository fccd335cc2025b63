/* Herald plugin ABI: the only thing that crosses between the host and a plugin.
 *
 * Plain C so that any compiler (and any C++ standard library) can build a plugin. Plugin authors
 * normally include <herald/plugin.hpp> instead and never touch these types directly.
 *
 * Rules of the boundary
 * - A plugin exports exactly one function, named by HERALD_ENTRY_SYMBOL. Its name carries the ABI
 *   major, so a host can refuse a plugin for another major before running any of its code.
 * - The plugin also places a marker in a section named HERALD_ABI_SECTION ("herald1"), which the
 *   host reads from the file before loading it.
 * - Structs are only ever extended by appending fields. `struct_size` says how much of a struct the
 *   other side knows about; fields past it are treated as zero.
 * - OWNERSHIP: every `const char*` in a descriptor is static, owned by the plugin, and lives as
 * long as the library is loaded (the host never unloads plugins). Every herald_str handed to a
 * plugin is borrowed: valid only until the call that produced it returns. Strings a plugin passes
 * to the host are copied by the host before the call returns.
 * - No exception, C++ type or allocator crosses the boundary.
 */
#ifndef HERALD_PLUGIN_ABI_H
#define HERALD_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERALD_PLUGIN_MAGIC 0x444C5248u /* "HRLD" little-endian */
#define HERALD_ABI_MAJOR 1
#define HERALD_ABI_MINOR 10
#define HERALD_ENTRY_SYMBOL "herald_plugin_v1"
#define HERALD_ABI_SECTION "herald1"

#if defined(_WIN32)
#define HERALD_EXPORT __declspec(dllexport)
#else
#define HERALD_EXPORT __attribute__((visibility("default")))
#endif

/* A borrowed run of bytes (UTF-8 for text). Not NUL-terminated. */
typedef struct herald_str {
  const char* data;
  size_t size;
} herald_str;

typedef enum herald_status {
  HERALD_OK = 0,
  HERALD_ERROR = 1,       /* permanent: the post fails with the message */
  HERALD_UNAVAILABLE = 2, /* transient: the post is retried later */
  HERALD_NOT_FOUND = 3,   /* a field, key or item does not exist */
  HERALD_INVALID = 4      /* the plugin passed an invalid argument to the host */
} herald_status;

typedef enum herald_step_kind {
  HERALD_KIND_DRAFT = 0,
  HERALD_KIND_APPROVE = 1,
  HERALD_KIND_LEGAL_REVIEW = 2,
  HERALD_KIND_SCHEDULE = 3,
  HERALD_KIND_PUBLISH = 4,
  HERALD_KIND_AMPLIFY = 5,
  /* Added in ABI 1.7: a notifier delivers one message to one person (a share request, say)
   * when a step calls the host's notify. It is declared under `notifiers:` in the
   * configuration, not as a workflow step. Its run reads the post fields notify_to (a person
   * id), notify_key (an idempotency key: the same key must not reach the person twice) and
   * notify_message, and decides ADVANCE (delivered), RETRY (try again later) or FAIL. */
  HERALD_KIND_NOTIFY = 6,
  /* Added in ABI 1.8: an inbound step reads one mention of the company's accounts (the inbound
   * workflow, under `inbound: steps:`, runs them in order) and may score it, stop it or answer
   * it. Its run reads the post fields author, text, network, account, handle, mention_id (the
   * network's id, "" when unknown), followers, engagement, at (Unix ms), score, score_detail,
   * action and rule; it may set score, score_detail, and action (ignore, mute, block or
   * report) with rule (why; recorded with the mention). A mention with an action is decided:
   * the steps after it do not run. answer() makes a reply draft. Outcomes: ADVANCE, or FAIL
   * (the import stops and nothing of it is stored). */
  HERALD_KIND_INBOUND = 7
} herald_step_kind;

/* What a step decided about a post. The engine, not the plugin, persists it. */
typedef enum herald_outcome {
  HERALD_ADVANCE = 0, /* move on to the next step */
  HERALD_WAIT = 1,    /* come back at a time and/or when an expected event arrives */
  HERALD_HOLD = 2,    /* a person must act (expected events say who) */
  HERALD_REJECT = 3,  /* rejected with a reason; terminal */
  HERALD_RETRY = 4,   /* transient problem; run again after a delay */
  HERALD_FAIL = 5,    /* permanent problem; terminal */
  /* Added in ABI 1.3: back to the first step, held until its author edits it (the reason says
   * what to change); the edit starts a new revision that goes through every step again. */
  HERALD_REVISE = 6
} herald_outcome;

typedef enum herald_value_type {
  HERALD_TYPE_STRING = 0,
  HERALD_TYPE_INT = 1,
  HERALD_TYPE_BOOL = 2,
  HERALD_TYPE_DOUBLE = 3,
  HERALD_TYPE_STRING_LIST = 4,
  HERALD_TYPE_PATH = 5, /* a string; relative paths are resolved against the config file's folder */
  /* Added in ABI 1.3: a list of maps (for example approval stages). Read it with key paths:
   * config_list_size("stages"), config_keys("stages[0]"), config_string("stages[0].quorum"),
   * config_list_size("stages[0].roles"). The host checks only that it is a list of maps; the
   * plugin checks each map's keys and reports problems with config_where. */
  HERALD_TYPE_MAP_LIST = 6
} herald_value_type;

typedef enum herald_log_level {
  HERALD_LOG_DEBUG = 1,
  HERALD_LOG_INFO = 2,
  HERALD_LOG_WARN = 3,
  HERALD_LOG_ERROR = 4
} herald_log_level;

/* One key of a component's configuration. */
typedef struct herald_config_key {
  const char* name;
  herald_value_type type;
  int required;              /* non-zero: the workflow must set it */
  const char* default_value; /* YAML text of the default, or NULL for none */
  const char* description;   /* one line, shown by `herald plugins` */
} herald_config_key;

/* How a network counts one text (added in ABI 1.2). */
typedef struct herald_text_count {
  uint32_t struct_size; /* set by the caller to sizeof(herald_text_count) */
  int32_t valid;        /* non-zero: within the limit and otherwise acceptable to the network */
  int64_t length;       /* what the network compares with its limit (weighted length for X) */
  int64_t limit;
  int64_t graphemes;
  int64_t bytes; /* UTF-8 */
} herald_text_count;

typedef struct herald_call herald_call;     /* opaque, host-owned, valid during one call */
typedef struct herald_config herald_config; /* opaque, host-owned, valid during create */

/* Functions the host offers to plugins. Append-only: check struct_size before using a field
 * added after ABI 1.0. Every function is safe to call from the thread that called the plugin. */
typedef struct herald_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  /* Logging, through the host's logger named after the plugin. `call` may be NULL in create. */
  void (*log)(herald_call* call, herald_log_level level, herald_str message);
  /* Records the message that goes with an error status returned from run/create. Copied. */
  void (*set_error)(herald_call* call, herald_str message);

  /* Configuration, valid during create only. Lists are read item by item. */
  herald_status (*config_string)(herald_config* config, herald_str key, herald_str* out);
  herald_status (*config_int)(herald_config* config, herald_str key, int64_t* out);
  herald_status (*config_bool)(herald_config* config, herald_str key, int* out);
  herald_status (*config_double)(herald_config* config, herald_str key, double* out);
  herald_status (*config_list_size)(herald_config* config, herald_str key, size_t* out);
  herald_status (*config_list_item)(herald_config* config, herald_str key, size_t index,
                                    herald_str* out);
  /* Records why create failed. Copied. Each call is one mistake: a plugin may call it once per
   * mistake, so that its user sees them all at once (older hosts keep the last). */
  void (*config_error)(herald_config* config, herald_str message);

  /* Post fields (see docs/plugin-guide.md for the list): id, text, account, network, handle,
   * author, workflow, tags (one per line), publish_at (Unix ms, text), zone, char_limit,
   * idempotency_key, attempt, step, config_dir; since ABI 1.3 revision, stage and step_since
   * (Unix ms when the post reached this step). Writable: text, remote_id, note, stage (shown to
   * people and checked by `herald approve --stage`). */
  herald_status (*post_get)(herald_call* call, herald_str field, herald_str* out);
  herald_status (*post_set)(herald_call* call, herald_str field, herald_str value);

  /* Events delivered to this post's current step, oldest first. Fields: type, actor, comment,
   * at (Unix ms); since ABI 1.3 also on_behalf (the person a delegate acted for, or empty),
   * content_hash (of the text the person saw), stage and revision. Only events of the post's
   * current revision are delivered: an edit starts afresh. */
  size_t (*event_count)(herald_call* call);
  herald_status (*event_field)(herald_call* call, size_t index, herald_str field, herald_str* out);
  /* Declares that the step accepts an event of `type` (e.g. "approve", "reject") from people
   * with `role` (since ABI 1.3 also "team:NAME" or "person:ID"). Used with WAIT and HOLD so the
   * host can tell who may act. */
  herald_status (*expect_event)(herald_call* call, herald_str type, herald_str role);
  /* Records an event for other steps and for the audit trail (type, free-form detail). */
  herald_status (*emit_event)(herald_call* call, herald_str type, herald_str detail);

  /* People from the configuration. Fields: id, name, roles (one per line), amplify ("true" or
   * "false"). */
  size_t (*person_count)(herald_call* call);
  herald_status (*person_field)(herald_call* call, size_t index, herald_str field, herald_str* out);
  int (*person_has_role)(herald_call* call, herald_str person, herald_str role);

  /* Time from the host's clock (virtual in tests and demos), Unix milliseconds. */
  int64_t (*now_ms)(herald_call* call);
  /* A credential of the post's account, resolved from its ${env:..}/${file:..} reference.
   * Never log it. */
  herald_status (*secret)(herald_call* call, herald_str name, herald_str* out);

  /* The step's decision. `at_ms` is the wake-up time for WAIT and the earliest retry time for
   * RETRY (0: host default); `reason` is shown to people. Calling it again replaces the
   * decision; not calling it means ADVANCE. */
  void (*set_outcome)(herald_call* call, herald_outcome outcome, int64_t at_ms, herald_str reason);

  /* Added in ABI 1.2: the host's text rules, so that every plugin counts as Herald does.
   * `network` is x, mastodon, bluesky or linkedin; texts are UTF-8. Text that is not valid
   * UTF-8, or an unknown network, gives HERALD_INVALID with a message for set_error. */
  /* Counts `text` as the network does; `limit` 0 means the network's default. */
  herald_status (*text_count)(herald_call* call, herald_str network, herald_str text, int64_t limit,
                              herald_text_count* out);
  /* What the network links in `text`, one per line: "type\tstart\tend\tvalue" with UTF-8 byte
   * offsets (end exclusive); type is url, mention, hashtag or cashtag. Borrowed. */
  herald_status (*text_entities)(herald_call* call, herald_str network, herald_str text,
                                 herald_str* out);
  /* Where `text` may be split into parts: line-break opportunities that are not inside a word,
   * a grapheme cluster or an entity of the network, as UTF-8 byte offsets, one per line.
   * Borrowed. */
  herald_status (*text_breaks)(herald_call* call, herald_str network, herald_str text,
                               herald_str* out);

  /* Added in ABI 1.3. */
  /* The keys of the map at `path` inside a HERALD_TYPE_MAP_LIST value, one per line. */
  herald_status (*config_keys)(herald_config* config, herald_str path, herald_str* out);
  /* Where `path` (a key, or a key path as above) was written: "file:line:column (key path)",
   * for error messages. */
  herald_status (*config_where)(herald_config* config, herald_str path, herald_str* out);
  /* The people and teams of the configuration while a step is created, so that a step can
   * reject a role nobody has or a person who does not exist before anything runs. Person fields
   * as for person_field, plus teams (one per line). */
  size_t (*config_person_count)(herald_config* config);
  herald_status (*config_person_field)(herald_config* config, size_t index, herald_str field,
                                       herald_str* out);
  /* SHA-256 of the post's current text (64 hex digits). Events carry the hash of the text their
   * person saw (event field content_hash), so a step can bind a decision to exact content. */
  herald_status (*content_hash)(herald_call* call, herald_str* out);
  /* Whether `person` may act for someone named by `who`: a role name, "team:NAME" or
   * "person:ID". Delegations are not considered (events say on_behalf when they applied). */
  int (*person_matches)(herald_call* call, herald_str person, herald_str who);

  /* Added in ABI 1.4: scheduling. A schedule step records the instant it chose with
   * post_set("planned_at", Unix ms as text) and why with post_set("plan_note", ...); other
   * posts of the account see it through account_plan. Post fields since 1.4: planned_at,
   * plan_note, time_note (what a DST policy did with the requested time), account_zone and
   * audiences ("zone\tshare" per line, shares summing to 1); and account_limited_until (Unix
   * ms, writable): a network's rate limit of the account, kept by the host for every worker.
   * Since 1.5: network_char_limit (writable, 1..1000000): the text limit the account's network
   * reported (a Mastodon instance's max_characters), kept by the host; the field char_limit is
   * then the account's configured char_limit, else that reported limit, else the network's
   * default. Since 1.5 too, a publish component's run is called from several threads at once,
   * for different accounts. */
  /* The planned instants of the account's other posts in [from_ms, to_ms), oldest first, one
   * per line: "at_ms\tpost_id". Includes posts planned earlier in the same engine round and
   * leaves out posts that will not be published. Borrowed. */
  herald_status (*account_plan)(herald_call* call, int64_t from_ms, int64_t to_ms, herald_str* out);
  /* The account's best weekly slots from its engagement history, best first, at most `count`,
   * one per line: "weekday\tminute\trate" (weekday 0 is Monday; minute of the day in the
   * account's timezone; rate is the smoothed engagement rate). Empty without history.
   * Borrowed. */
  herald_status (*best_slots)(herald_call* call, uint32_t count, herald_str* out);
  /* The accounts of the configuration while a step is created. Fields: name, network,
   * timezone, audiences (as the post field). */
  size_t (*config_account_count)(herald_config* config);
  herald_status (*config_account_field)(herald_config* config, size_t index, herald_str field,
                                        herald_str* out);

  /* Added in ABI 1.6: a new post in `workflow` on `account` with `text` and `tags` (one per
   * line), by the same author. It is stored together with this step's outcome, so a step that
   * runs again after a crash does not make it twice. NOT_FOUND for an unknown workflow or
   * account. Amplify steps use it to cross-post an adapted copy to another account. */
  herald_status (*spawn_post)(herald_call* call, herald_str workflow, herald_str account,
                              herald_str text, herald_str tags);

  /* Added in ABI 1.7: notifiers. */
  /* Delivers `message` (UTF-8; the built-in notifiers expect JSON) to the person `recipient`
   * through the notifier the configuration names `notifier`, with `key` as its idempotency key.
   * The notifier runs before this returns, on this thread. OK: delivered; UNAVAILABLE: not now,
   * try again later; ERROR: refused for good; NOT_FOUND: no such notifier. Otherwise `*reason`
   * (borrowed) says why. */
  herald_status (*notify)(herald_call* call, herald_str notifier, herald_str recipient,
                          herald_str key, herald_str message, herald_str* reason);
  /* While a step is created: OK when the configuration has a notifier named `name`, else
   * NOT_FOUND (the built-in `outbox` notifier always exists). */
  herald_status (*config_notifier)(herald_config* config, herald_str name);

  /* Added in ABI 1.8: inbound steps. */
  /* How many of the mention's author's earlier mentions on the same network an inbound step
   * stopped (an action other than answer) from `since_ms` up to this mention: those stored and
   * those earlier in the same import. */
  herald_status (*mentions_stopped)(herald_call* call, int64_t since_ms, int64_t* out);
  /* Answers the mention with a reply draft in `workflow` on `account`, written as the person
   * `author` ("" for none), with `text` and `tags` (one per line). The host adds the tags
   * reply, inbound and (when the mention has the network's id) reply-to:ID, stores the draft
   * together with the mention, and records the mention's action as answer with the rule the
   * step set. NOT_FOUND: an unknown workflow, account or person; INVALID: empty text, or a
   * mention already stopped or answered. */
  herald_status (*answer)(herald_call* call, herald_str workflow, herald_str account,
                          herald_str author, herald_str text, herald_str tags);
  /* While a step is created: OK when the configuration has a workflow named `name`. */
  herald_status (*config_workflow)(herald_config* config, herald_str name);

  /* Added in ABI 1.9: reconciling a publish call whose outcome is unknown. Post fields since
   * 1.9: max_attempts (the engine's, read only) and outcome_unknown (writable, "1" or "0"):
   * "1" says the post may already be on the network, so whatever the step decides (wait, hold
   * or retry) the post stays `unconfirmed`, is looked for before anything is sent again, and is
   * never failed for running out of attempts; a wait or hold counts no attempt. */
  /* The id of another post of the call's account whose remote_id is `remote_id` (a network's id
   * that post already claimed), or 0 in `post_id` when no other post has it. Posts decided
   * earlier in the same engine round count. */
  herald_status (*remote_id_owner)(herald_call* call, herald_str remote_id, int64_t* post_id);
} herald_host_api;

/* One step implementation offered by a plugin. */
typedef struct herald_component {
  uint32_t struct_size;
  herald_step_kind kind;
  const char* name;
  const char* description;
  const herald_config_key* config_keys;
  uint32_t config_key_count;
  /* Builds one configured instance for one workflow step. On failure it reports the reason
   * with config_error and returns non-OK; the wrapper in plugin.hpp does this. */
  herald_status (*create)(const herald_host_api* host, herald_config* config, void** instance);
  /* Runs the step for one post. Must be re-entrant and idempotent: the host may run it again
   * for the same post after a crash. */
  herald_status (*run)(void* instance, herald_call* call);
  void (*destroy)(void* instance);
  /* Added in ABI 1.7, optional (NULL, or HERALD_NOT_FOUND: not offered). A publish component
   * whose network lets an account read its mentions fetches them for `herald inbound fetch`.
   * The call has no post: the fields account, network, handle and endpoint describe the
   * account, secrets are the account's, and the field mentions_cursor (writable) is where the
   * previous fetch stopped ("" the first time). Each mention is handed to the host with
   * emit_event("mention", one JSON object as a line of `herald inbound import`). The host
   * stores the new cursor only after the mentions are stored, so a crash fetches them again
   * and the host drops those it has (same network and id). */
  herald_status (*fetch_mentions)(void* instance, herald_call* call);
  /* Added in ABI 1.8, optional (NULL, or HERALD_NOT_FOUND: not offered). A publish component
   * whose network lets an account mute, block or report another carries out an inbound step's
   * decision. The call has no post: the fields account, network, handle and endpoint describe
   * the company's account (secrets are its own), and moderation_action (mute, block or report),
   * moderation_author (the handle to act on), moderation_mention_id (the network's id of the
   * mention, "" when unknown) and moderation_rule (why) say what to do. OK: done (the host
   * asks again after a crash, so doing it twice must be harmless); UNAVAILABLE: not now, try
   * again later; ERROR: refused for good; NOT_FOUND: the network has no such action. */
  herald_status (*moderate)(void* instance, herald_call* call);
  /* Added in ABI 1.10, optional (NULL: nothing to flush). Makes durable what the instance's runs
   * of one engine round left to be made durable (an fsync put off so that a round pays for one).
   * The engine calls it once per round in which the instance ran, after every run of the round
   * has returned and before any outcome of the round is committed to the store; never while a
   * run of the instance is under way. The call has no post: only log and set_error are of use.
   * OK: what the runs did is durable. Anything else (with set_error): it may be lost, so none of
   * the round's outcomes of this step is committed; its posts are taken as if the step had
   * crashed: a publish step's posts become `unconfirmed` (looked for before anything is sent
   * again), other steps' posts run the step again, counting an attempt. A post that ran a step
   * that offers flush does not go on to its next step in the same round. */
  herald_status (*flush)(void* instance, herald_call* call);
} herald_component;

typedef struct herald_plugin_descriptor {
  uint32_t magic; /* HERALD_PLUGIN_MAGIC */
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* name;
  const char* version;
  const char* license;
  const herald_component* components;
  uint32_t component_count;
  /* Added in ABI 1.1: a one-line summary and a web page. NULL when not given. */
  const char* description;
  const char* homepage;
} herald_plugin_descriptor;

/* The entry point every plugin exports. Returns constant static data; runs no other code. */
typedef const herald_plugin_descriptor* (*herald_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* HERALD_PLUGIN_ABI_H */
