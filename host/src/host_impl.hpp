// What a Host is made of, shared by the files that implement it (host.cpp, host_schedule.cpp).
#pragma once

#include <herald/host.hpp>

#include "config/config.hpp"
#include "engine/workflow.hpp"
#include "plugins/registry.hpp"
#include "scripting/runtime.hpp"
#include "store/store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace herald {

struct Host::Impl {
  std::shared_ptr<ScriptRuntime> scripting;  // outlives the hooks and steps it made
  Configuration config;
  PluginRegistry registry;
  std::vector<BoundWorkflow> workflows;
  Notifiers notifiers;
  std::vector<std::unique_ptr<BoundStep>> inbound;  // the inbound steps, in order
  std::unique_ptr<Store> store;
  std::shared_ptr<Clock> clock;
  HostOptions options;

  Status record_event(int64_t post_id, const std::string& type, const std::string& person,
                      const std::string& comment, const std::string& stage);

  /// A submitted post, checked and routed, at its workflow's first step, with its audit entry;
  /// not stored yet.
  /// Checks `request` as submit does and makes the post and its first audit entry. When it
  /// is refused, `field` (if given) names what was wrong: workflow, account, author, text,
  /// tags, at or dst_policy.
  Status prepare_post(const SubmitRequest& request, Post& post, AuditEntry& audit,
                      std::string* field = nullptr);

  /// Fills in PostView::paused from the pauses in effect.
  Status mark_paused(std::vector<PostView>& views) const;

  Status require_store() const {
    if (!store) return Status(ErrorCode::internal, "this host was opened without its store");
    return Status::ok();
  }
};

/// "unknown workflow 'anounce'; did you mean 'announce'? (workflows in company.yaml: ...)".
template <typename Named>
Status unknown(const std::string& what, const std::string& name, const std::vector<Named>& known,
               const std::string& file) {
  std::vector<std::string> names;
  std::string list;
  for (const auto& item : known) {
    names.push_back(item.name);
    list += (list.empty() ? "" : ", ") + item.name;
  }
  return Status(ErrorCode::not_found, "unknown " + what + " '" + name + "'" +
                                          did_you_mean(name, names) + " (" + what + "s in " + file +
                                          ": " + (names.empty() ? "none" : list) + ")");
}

/// The public view of a stored post.
PostView view_of(const Post& post, const Configuration& config);

/// "unknown person 'moo'; did you mean 'mo'? ..." (not_found).
Status unknown_person(const Configuration& config, const std::string& id);

/// "no post 12 in /path/herald.db" (not_found).
Status no_such_post(int64_t post_id, const Store& store);

}  // namespace herald
