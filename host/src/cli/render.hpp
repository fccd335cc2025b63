// How the CLI shows workflows, plugins, posts and the audit trail: as text tables or JSON.
#pragma once

#include <herald/host.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace herald {

std::string workflows_text(const std::string& config,
                           const std::vector<WorkflowDescription>& workflows, size_t plugin_count,
                           const std::string& store,
                           const std::vector<StepDescription>& notifiers = {},
                           const std::vector<StepDescription>& inbound = {});
nlohmann::json workflows_json(const std::vector<WorkflowDescription>& workflows,
                              const std::string& store,
                              const std::vector<StepDescription>& notifiers = {},
                              const std::vector<StepDescription>& inbound = {});

std::string plugins_text(const std::vector<PluginDescription>& plugins);
nlohmann::json plugins_json(const std::vector<PluginDescription>& plugins);

/// `detailed`: one post with its text and every field.
std::string posts_text(const std::vector<PostView>& posts, bool detailed);
nlohmann::json posts_json(const std::vector<PostView>& posts);

/// One line per post: the steps it went through, what happened at each, and who acted.
std::string journey_text(const std::vector<PostView>& posts,
                         const std::vector<AuditRecord>& records);

std::string audit_text(const std::vector<AuditRecord>& records);
nlohmann::json audit_json(const std::vector<AuditRecord>& records);
/// `herald audit`: the entries as text, or as indented JSON (bytes that are not UTF-8, which only
/// a changed database can hold, written as U+FFFD), with a final newline.
std::string audit_listing(const std::vector<AuditRecord>& records, bool as_json);

/// `herald audit export --format csv`: the header line.
std::string audit_export_header();
/// One entry of `herald audit export`, with its newline: a CSV row, or a JSON line.
std::string audit_export_line(const AuditRecord& record, bool csv);

/// `value` as the CLI prints JSON: indented, with a final newline. Bytes that are not UTF-8 (a
/// configuration file or a changed database can hold them) are written as U+FFFD.
std::string json_text(const nlohmann::json& value);

/// How standard output shows tables: in colour or not, and the width they fit (0: in full).
struct OutputStyle {
  bool color = false;
  size_t width = 0;
};
/// `--color` (auto, always or never) and `--wide`, as given on the command line.
void set_output_choices(const std::string& color, bool wide);
/// The style for standard output: colour with --color=always, or with auto on a terminal
/// when NO_COLOR is empty or unset; on a terminal, tables fit its width (COLUMNS, else the
/// terminal's) unless --wide.
OutputStyle output_style();
/// `text` in an SGR colour ("1" bold, "31" red...) when the style has colour.
std::string paint(const std::string& text, const char* sgr);

/// At most `limit` characters of `text` on one line, with "…" when cut.
std::string shorten(const std::string& text, size_t limit);

/// "waits for approve by marketing, reject by marketing".
std::string describe_wait(const PostView& post);

}  // namespace herald
