#include "config/config.hpp"

#include "text/input_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace herald {
namespace fs = std::filesystem;

std::string SourceLocation::describe() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!key_path.empty()) out += " (" + key_path + ")";
  return out;
}

bool PersonConfig::has_role(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool PersonConfig::matches(const std::string& who) const {
  if (who.empty()) return true;
  if (who.rfind("person:", 0) == 0) return who.compare(7, std::string::npos, id) == 0;
  if (who.rfind("team:", 0) == 0) {
    std::string team = who.substr(5);
    return std::find(teams.begin(), teams.end(), team) != teams.end();
  }
  return has_role(who);
}

std::string describe_who(const std::string& who) {
  if (who.empty()) return "anyone";
  if (who.rfind("person:", 0) == 0) return who.substr(7);
  if (who.rfind("team:", 0) == 0) return "team " + who.substr(5);
  return "role " + who;
}

bool Condition::empty() const {
  return tags.empty() && accounts.empty() && authors.empty() && networks.empty();
}

namespace {
bool contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}
std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}
}  // namespace

bool Condition::matches(const Post& post, const std::string& network) const {
  if (!tags.empty() && std::none_of(post.tags.begin(), post.tags.end(),
                                    [&](const std::string& tag) { return contains(tags, tag); }))
    return false;
  if (!accounts.empty() && !contains(accounts, post.account)) return false;
  if (!authors.empty() && !contains(authors, post.author)) return false;
  if (!networks.empty() && !contains(networks, network)) return false;
  return true;
}

std::string Condition::describe() const {
  std::vector<std::string> parts;
  if (!tags.empty()) parts.push_back("tag in [" + join(tags, ", ") + "]");
  if (!accounts.empty()) parts.push_back("account in [" + join(accounts, ", ") + "]");
  if (!authors.empty()) parts.push_back("author in [" + join(authors, ", ") + "]");
  if (!networks.empty()) parts.push_back("network in [" + join(networks, ", ") + "]");
  return join(parts, " and ");
}

const StepConfig* Configuration::notifier(const std::string& name) const {
  for (const StepConfig& n : notifiers)
    if (n.name == name) return &n;
  return nullptr;
}

const AccountConfig* Configuration::account(const std::string& name) const {
  for (const auto& a : accounts)
    if (a.name == name) return &a;
  return nullptr;
}
const PersonConfig* Configuration::person(const std::string& id) const {
  for (const auto& p : people)
    if (p.id == id) return &p;
  return nullptr;
}
const WorkflowConfig* Configuration::workflow(const std::string& name) const {
  for (const auto& w : workflows)
    if (w.name == name) return &w;
  return nullptr;
}

const std::vector<std::string>& step_kinds() {
  static const std::vector<std::string> kinds = {"draft",    "approve", "legal_review",
                                                 "schedule", "publish", "amplify"};
  return kinds;
}

int64_t default_char_limit(const std::string& network) {
  if (network == "x") return 280;
  if (network == "mastodon") return 500;
  if (network == "bluesky") return 300;
  if (network == "linkedin") return 3000;
  return 0;
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    std::vector<size_t> row(candidate.size() + 1);
    for (size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= candidate.size(); ++j) {
        size_t above = row[j];
        size_t cost = word[i - 1] == candidate[j - 1] ? 0 : 1;
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
        diagonal = above;
      }
    }
    if (row[candidate.size()] < best_distance) {
      best_distance = row[candidate.size()];
      best = candidate;
    }
  }
  size_t allowed = std::max<size_t>(2, word.size() / 3);
  return best_distance <= allowed ? best : "";
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string match = closest_match(word, candidates);
  return match.empty() ? "" : "; did you mean '" + match + "'?";
}

namespace {

/// Whether `path` is `folder` or inside it, both already canonical.
bool is_inside(const fs::path& path, const fs::path& folder) {
  fs::path relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::optional<SecretReference> secret_reference(std::string_view text) {
  for (std::string_view source : {"env", "file"}) {
    const std::string open = "${" + std::string(source) + ":";
    if (text.size() < open.size() + 2 || text.substr(0, open.size()) != open || text.back() != '}')
      continue;
    std::string_view name = text.substr(open.size(), text.size() - open.size() - 1);
    if (name.find('}') != std::string_view::npos) return std::nullopt;
    return SecretReference{std::string(source), std::string(name)};
  }
  return std::nullopt;
}

Result<std::string> resolve_secret(const std::string& reference, const std::string& base_dir,
                                   const std::vector<std::string>& allowed_directories) {
  std::optional<SecretReference> parsed = secret_reference(reference);
  if (!parsed)
    return Status(ErrorCode::config,
                  "a credential must be a reference like ${env:NAME} or ${file:PATH}");
  const std::string& source = parsed->source;
  const std::string& name = parsed->name;
  if (source == "env") {
    const char* value = std::getenv(name.c_str());
    if (!value)
      return Status(ErrorCode::config, "environment variable " + name +
                                           " is not set (export it before running Herald)");
    return std::string(value);
  }
  fs::path path = fs::path(name).is_absolute() ? fs::path(name) : fs::path(base_dir) / name;
  // Where the file really is, `..` and symlinks resolved, before a byte of it is read.
  std::error_code ec;
  fs::path real = fs::weakly_canonical(path, ec);
  if (ec) real = path.lexically_normal();
  bool allowed = false;
  std::string folders;
  for (const std::string& directory : allowed_directories) {
    fs::path folder = fs::weakly_canonical(directory, ec);
    if (ec) folder = fs::path(directory).lexically_normal();
    allowed = allowed || is_inside(real, folder);
    folders += (folders.empty() ? "" : ", ") + folder.string();
  }
  if (!allowed)
    return Status(ErrorCode::config,
                  "secret file " + path.string() +
                      (real != path ? " (" + real.string() + ")" : std::string()) +
                      " is outside the secret directories (" +
                      (folders.empty() ? std::string("none") : folders) +
                      "); move it into one of them or list its folder under "
                      "`secrets: directories:`");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::config, "secret file " + path.string() + " cannot be read");
  std::stringstream content;
  content << in.rdbuf();
  std::string value = content.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

Result<std::string> resolve_secret(const std::string& reference, const std::string& base_dir) {
  return resolve_secret(reference, base_dir, {base_dir});
}

Result<std::string> resolve_secret(const std::string& reference, const Configuration& config) {
  return resolve_secret(reference, config.directory,
                        config.secret_directories.empty()
                            ? std::vector<std::string>{config.directory}
                            : config.secret_directories);
}

Result<std::string> resolve_credential(const std::string& reference, const Configuration& config) {
  Result<std::string> value = resolve_secret(reference, config);
  if (!value) return value;
  // Never the value: only where it came from and what is wrong with it.
  if (value->find_first_of("\r\n") != std::string::npos)
    return Status(ErrorCode::config, "the value of " + reference +
                                         " has a line break (CR or LF) inside it; a credential "
                                         "is one line (a file may end with one line break)");
  if (value->find('\0') != std::string::npos)
    return Status(ErrorCode::config, "the value of " + reference +
                                         " has a NUL byte; a credential is one line of text");
  return value;
}

namespace {

const std::set<std::string> kNetworks = {"x",        "mastodon", "bluesky",
                                         "linkedin", "webhook",  "outbox"};

/// Walks the YAML document, collecting every problem with its location.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourceLocation at(const YAML::Node& node, const std::string& path) const {
    SourceLocation where;
    where.file = file_;
    where.line = node.Mark().line + 1;
    where.column = node.Mark().column + 1;
    where.key_path = path;
    return where;
  }

  void error(const YAML::Node& node, const std::string& path, const std::string& message) {
    errors_.push_back(at(node, path).describe() + ": " + message);
  }
  void error(const SourceLocation& where, const std::string& message) {
    errors_.push_back(where.describe() + ": " + message);
  }

  /// Checks that `node` is a map whose keys are all in `known`; reports the others with the
  /// closest known key.
  bool check_map(const YAML::Node& node, const std::string& path,
                 const std::vector<std::string>& known) {
    if (!node.IsMap()) {
      error(node, path, "expected a mapping of keys (" + join(known, ", ") + ")");
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (contains(known, key)) continue;
      std::string suggestion = closest_match(key, known);
      error(it->first, path.empty() ? key : path + "." + key,
            "unknown key '" + key + "'" +
                (suggestion.empty() ? "; known keys: " + join(known, ", ")
                                    : "; did you mean '" + suggestion + "'?"));
    }
    return true;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path,
                                    const std::string& what) {
    if (!node.IsScalar()) {
      error(node, path, "expected " + what + " (a single value)");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<int64_t> integer(const YAML::Node& node, const std::string& path) {
    int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value)) {
      error(node, path,
            "expected a whole number, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> number(const YAML::Node& node, const std::string& path) {
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value)) {
      error(node, path, "expected a number, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
      return std::nullopt;
    }
    if (!std::isfinite(value)) {
      error(node, path, "expected a finite number, got '" + node.Scalar() + "'");
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& path) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      error(node, path, "expected true or false");
      return std::nullopt;
    }
    return value;
  }

  /// A string or a list of strings.
  std::vector<std::string> strings(const YAML::Node& node, const std::string& path) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (node[i].IsScalar())
          out.push_back(node[i].Scalar());
        else
          error(node[i], path + "[" + std::to_string(i) + "]", "expected a text value");
      }
    } else {
      error(node, path, "expected a value or a list of values");
    }
    return out;
  }

  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

bool is_secret_reference(const std::string& value) {
  return secret_reference(value).has_value();
}

void read_accounts(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!node.IsMap()) {
    r.error(node, "accounts", "expected a mapping from account name to its settings");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    AccountConfig account;
    account.name = it->first.as<std::string>("");
    std::string path = "accounts." + account.name;
    account.where = r.at(it->first, path);
    const YAML::Node body = it->second;  // a copy: `it->second` is a member of a temporary
    if (!r.check_map(body, path,
                     {"network", "handle", "endpoint", "timezone", "audiences", "dst_policy",
                      "char_limit", "credentials"}))
      continue;
    if (!body["network"]) {
      r.error(body, path,
              "missing required key 'network' (one of x, mastodon, bluesky, linkedin, "
              "webhook, outbox)");
    } else if (auto network = r.scalar(body["network"], path + ".network", "a network name")) {
      if (!kNetworks.count(*network)) {
        std::string suggestion =
            closest_match(*network, std::vector<std::string>(kNetworks.begin(), kNetworks.end()));
        r.error(body["network"], path + ".network",
                "unknown network '" + *network + "'" +
                    (suggestion.empty() ? "; use x, mastodon, bluesky, linkedin, webhook or outbox"
                                        : "; did you mean '" + suggestion + "'?"));
      }
      account.network = *network;
    }
    if (body["handle"])
      account.handle = r.scalar(body["handle"], path + ".handle", "a handle").value_or("");
    if (body["endpoint"]) {
      account.endpoint = r.scalar(body["endpoint"], path + ".endpoint", "a URL").value_or("");
      if (account.endpoint.rfind("https://", 0) != 0 && account.endpoint.rfind("http://", 0) != 0)
        r.error(body["endpoint"], path + ".endpoint",
                "the endpoint must be an http:// or https:// URL, got '" + account.endpoint + "'");
      while (!account.endpoint.empty() && account.endpoint.back() == '/')
        account.endpoint.pop_back();
    }
    auto read_zone = [&](const YAML::Node& node, const std::string& key) -> std::string {
      std::string zone = r.scalar(node, key, "an IANA time zone").value_or("");
      if (!zone.empty() && !zoned::find_zone(zone)) {
        r.error(node, key,
                "unknown time zone '" + zone +
                    "'; use an IANA name such as Europe/Oslo or America/New_York");
        return "";
      }
      return zone;
    };
    if (body["timezone"]) account.timezone = read_zone(body["timezone"], path + ".timezone");
    if (const YAML::Node& audiences = body["audiences"]) {
      // - America/New_York            (equal shares)
      // - {zone: Europe/London, share: 0.3}
      const std::string apath = path + ".audiences";
      if (!audiences.IsSequence() || audiences.size() == 0) {
        r.error(audiences, apath,
                "expected a list of zones, or of {zone, share}, e.g. [America/New_York, "
                "Europe/London]");
      } else {
        double total = 0;
        bool explicit_shares = false;
        for (size_t i = 0; i < audiences.size(); ++i) {
          const YAML::Node& item = audiences[i];
          const std::string ipath = apath + "[" + std::to_string(i) + "]";
          AudienceConfig audience;
          if (item.IsMap()) {
            if (!r.check_map(item, ipath, {"zone", "share"})) continue;
            if (!item["zone"]) {
              r.error(item, ipath, "missing required key 'zone'");
              continue;
            }
            audience.zone = read_zone(item["zone"], ipath + ".zone");
            if (item["share"]) {
              explicit_shares = true;
              audience.share = r.number(item["share"], ipath + ".share").value_or(0);
              if (audience.share <= 0)
                r.error(item["share"], ipath + ".share", "a share must be more than 0");
            }
          } else {
            audience.zone = read_zone(item, ipath);
          }
          if (audience.zone.empty()) continue;
          total += audience.share;
          account.audiences.push_back(audience);
        }
        if (explicit_shares && total > 0)
          for (AudienceConfig& a : account.audiences) a.share /= total;
        else
          for (AudienceConfig& a : account.audiences)
            a.share = 1.0 / static_cast<double>(account.audiences.size());
      }
      // Local times are read in the main audience's zone when the account names no timezone.
      if (account.timezone.empty() && !account.audiences.empty())
        account.timezone = account.audiences.front().zone;
    }
    if (account.audiences.empty() && !account.timezone.empty())
      account.audiences.push_back({account.timezone, 1.0});
    if (const YAML::Node& policy = body["dst_policy"]) {
      std::string text = r.scalar(policy, path + ".dst_policy", "a DST policy").value_or("");
      if (auto parsed = zoned::parse_dst_policy(text))
        account.dst_policy = *parsed;
      else
        r.error(policy, path + ".dst_policy",
                "unknown DST policy '" + text + "'; use " + zoned::dst_policy_names());
    }
    account.char_limit = default_char_limit(account.network);
    account.char_limit_set = static_cast<bool>(body["char_limit"]);
    if (body["char_limit"]) {
      account.char_limit = r.integer(body["char_limit"], path + ".char_limit").value_or(0);
      if (account.char_limit < 0 || account.char_limit > 1'000'000) {
        r.error(body["char_limit"], path + ".char_limit",
                "must be from 0 (no limit) to 1000000, got " + std::to_string(account.char_limit) +
                    "; leave it out to use the network's own limit");
        account.char_limit = default_char_limit(account.network);
      }
    }
    if (const YAML::Node& creds = body["credentials"]) {
      if (!creds.IsMap()) {
        r.error(creds, path + ".credentials",
                "expected a mapping from credential name to a "
                "${env:NAME} or ${file:PATH} reference");
      } else {
        for (auto c = creds.begin(); c != creds.end(); ++c) {
          std::string name = c->first.as<std::string>("");
          std::string cpath = path + ".credentials." + name;
          auto value = r.scalar(c->second, cpath, "a ${env:NAME} or ${file:PATH} reference");
          if (!value) continue;
          if (!is_secret_reference(*value)) {
            // Never echo the value: it may be a secret pasted inline.
            r.error(c->second, cpath,
                    "credentials must not be written inline; store the secret in an environment "
                    "variable or a file and write ${env:NAME} or ${file:PATH}");
            continue;
          }
          account.credentials[name] = *value;
        }
      }
    }
    config.accounts.push_back(std::move(account));
  }
}

void read_people(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!node.IsMap()) {
    r.error(node, "people", "expected a mapping from person id to their settings");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    PersonConfig person;
    person.id = it->first.as<std::string>("");
    std::string path = "people." + person.id;
    const YAML::Node body = it->second;  // a copy: `it->second` is a member of a temporary
    if (!r.check_map(body, path, {"name", "roles", "amplify"})) continue;
    person.name =
        body["name"] ? r.scalar(body["name"], path + ".name", "a name").value_or("") : person.id;
    if (body["roles"]) person.roles = r.strings(body["roles"], path + ".roles");
    if (body["amplify"])
      person.amplify = r.boolean(body["amplify"], path + ".amplify").value_or(false);
    config.people.push_back(std::move(person));
  }
}

/// `teams: {compliance: [ana, bo]}`: each member must be one of `people`.
void read_teams(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!node.IsMap()) {
    r.error(node, "teams", "expected a mapping from team name to its members (person ids)");
    return;
  }
  std::vector<std::string> ids;
  for (const PersonConfig& p : config.people) ids.push_back(p.id);
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string team = it->first.as<std::string>("");
    std::string path = "teams." + team;
    std::vector<std::string> members = r.strings(it->second, path);
    for (size_t i = 0; i < members.size(); ++i) {
      PersonConfig* person = nullptr;
      for (PersonConfig& p : config.people)
        if (p.id == members[i]) person = &p;
      if (!person) {
        const YAML::Node& at = it->second.IsSequence() ? it->second[i] : it->second;
        r.error(at, path,
                "team member '" + members[i] + "' is not one of `people`" +
                    did_you_mean(members[i], ids));
        continue;
      }
      person->teams.push_back(team);
    }
    config.teams[team] = std::move(members);
  }
}

Condition read_condition(Reader& r, const YAML::Node& node, const std::string& path) {
  Condition condition;
  if (!r.check_map(node, path, {"tag", "account", "author", "network"})) return condition;
  if (node["tag"]) {
    condition.tags = r.strings(node["tag"], path + ".tag");
    for (const std::string& tag : condition.tags)
      if (tag.find_first_of("\r\n") != std::string::npos || tag.empty())
        r.error(node["tag"], path + ".tag",
                "a tag is one word or phrase on one line, without line breaks; split it into "
                "several tags ([a, b])");
  }
  if (node["account"]) condition.accounts = r.strings(node["account"], path + ".account");
  if (node["author"]) condition.authors = r.strings(node["author"], path + ".author");
  if (node["network"]) condition.networks = r.strings(node["network"], path + ".network");
  return condition;
}

/// hooks: { before_publish: "pkg.mod:function", on_fail: [a:f, b:g] }
std::vector<HookConfig> read_hooks(Reader& r, const YAML::Node& node, const std::string& path) {
  std::vector<HookConfig> hooks;
  if (!r.check_map(node, path, hook_points())) return hooks;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string point = it->first.as<std::string>("");
    if (!contains(hook_points(), point)) continue;  // reported by check_map
    YAML::Node value = it->second;
    std::string hpath = path + "." + point;
    std::vector<YAML::Node> items;
    if (value.IsSequence())
      for (size_t i = 0; i < value.size(); ++i) items.push_back(value[i]);
    else
      items.push_back(value);
    for (size_t i = 0; i < items.size(); ++i) {
      std::string ipath = value.IsSequence() ? hpath + "[" + std::to_string(i) + "]" : hpath;
      auto target = r.scalar(items[i], ipath, "a hook such as \"mypkg.hooks:add_utm\"");
      if (!target) continue;
      size_t colon = target->find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == target->size() ||
          target->find(':', colon + 1) != std::string::npos) {
        r.error(
            items[i], ipath,
            "a hook is written \"module:function\" (for example \"mypkg.hooks:add_utm\"), not '" +
                *target + "'");
        continue;
      }
      hooks.push_back({point, *target, r.at(items[i], ipath)});
    }
  }
  return hooks;
}

/// A built-in inbound step written in the short form (`influence:`, `moderation:`, `routes:`).
StepConfig inbound_shorthand(Reader& r, const YAML::Node& node, const std::string& key,
                             const std::string& plugin, const char* list_key) {
  StepConfig step;
  step.kind = "inbound";
  step.name = key;
  step.plugin = plugin;
  step.where = r.at(node, "inbound." + key);
  if (list_key) {
    // moderation: [rules] is the moderation step's `rules`; routes: [...] the route step's.
    step.config = YAML::Node(YAML::NodeType::Map);
    step.config[list_key] = node;
    step.unwrapped = list_key;
  } else {
    step.config = node;
  }
  step.config_where = step.where;
  return step;
}

void read_inbound(Reader& r, const YAML::Node& node, Configuration& config) {
  InboundConfig& inbound = config.inbound;
  inbound.configured = true;
  inbound.where = r.at(node, "inbound");
  if (!r.check_map(node, "inbound", {"accounts", "steps", "influence", "moderation", "routes"}))
    return;
  if (node["accounts"]) {
    inbound.accounts = r.strings(node["accounts"], "inbound.accounts");
    for (const std::string& account : inbound.accounts)
      if (!config.account(account))
        r.error(node["accounts"], "inbound.accounts", "unknown account '" + account + "'");
  }
  if (const YAML::Node& steps = node["steps"]) {
    for (const char* key : {"influence", "moderation", "routes"})
      if (node[key])
        r.error(node[key], std::string("inbound.") + key,
                std::string("`") + key +
                    "` is the short form of a built-in step; with `steps:` write it as a step "
                    "(plugin inbound/" +
                    (std::string(key) == "routes" ? "route" : key) + ")");
    if (!steps.IsSequence() || steps.size() == 0) {
      r.error(steps, "inbound.steps", "expected a list of steps ({plugin, config})");
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < steps.size(); ++i) {
      std::string spath = "inbound.steps[" + std::to_string(i) + "]";
      const YAML::Node& s = steps[i];
      StepConfig step;
      step.kind = "inbound";
      step.where = r.at(s, spath);
      if (!r.check_map(s, spath, {"name", "plugin", "config"})) continue;
      if (!s["plugin"]) {
        r.error(s, spath, "missing required key 'plugin' (for example inbound/moderation)");
        continue;
      }
      step.plugin = r.scalar(s["plugin"], spath + ".plugin", "a plugin name").value_or("");
      // The component ("inbound/route": route) or a Python step's class ("python:m:Cls": Cls).
      std::string fallback = step.plugin.rfind("python:", 0) == 0
                                 ? step.plugin.substr(step.plugin.rfind(':') + 1)
                                 : step.plugin.substr(step.plugin.find('/') + 1);
      step.name =
          s["name"] ? r.scalar(s["name"], spath + ".name", "a name").value_or(fallback) : fallback;
      if (!names.insert(step.name).second)
        r.error(s, spath,
                "two inbound steps are named '" + step.name + "'; give one of them a `name:`");
      const YAML::Node config_node = s["config"];
      step.config = config_node ? config_node : YAML::Node(YAML::NodeType::Map);
      step.config_where = r.at(config_node ? config_node : YAML::Node(s), spath + ".config");
      inbound.steps.push_back(std::move(step));
    }
    return;
  }
  // The short form: influence (always), then moderation and routes when given.
  const YAML::Node influence = node["influence"];
  if (influence && !influence.IsMap())
    r.error(influence, "inbound.influence", "expected a mapping (followers_weight, ...)");
  else
    inbound.steps.push_back(
        inbound_shorthand(r, influence ? influence : YAML::Node(YAML::NodeType::Map), "influence",
                          "inbound/influence", nullptr));
  if (const YAML::Node rules = node["moderation"]) {
    if (!rules.IsSequence())
      r.error(rules, "inbound.moderation", "expected a list of rules");
    else
      inbound.steps.push_back(
          inbound_shorthand(r, rules, "moderation", "inbound/moderation", "rules"));
  }
  if (const YAML::Node routes = node["routes"]) {
    if (!routes.IsSequence())
      r.error(routes, "inbound.routes", "expected a list of routes");
    else
      inbound.steps.push_back(inbound_shorthand(r, routes, "routes", "inbound/route", "routes"));
  }
}

void read_python(Reader& r, const YAML::Node& node, Configuration& config) {
  config.python.where = r.at(node, "python");
  if (!r.check_map(node, "python", {"paths", "timeout_seconds"})) return;
  if (node["paths"])
    for (const auto& p : r.strings(node["paths"], "python.paths")) {
      fs::path path(p);
      config.python.paths.push_back((path.is_absolute() ? path : fs::path(config.directory) / path)
                                        .lexically_normal()
                                        .string());
    }
  if (node["timeout_seconds"]) {
    double seconds = r.number(node["timeout_seconds"], "python.timeout_seconds").value_or(10);
    if (seconds < 0 || seconds > 86400)
      r.error(
          node["timeout_seconds"], "python.timeout_seconds",
          "must be 0 (no limit) or up to 86400 (a day), got " + node["timeout_seconds"].Scalar());
    else
      config.python.timeout_ms = static_cast<int64_t>(seconds * 1000);
  }
}

void read_workflows(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!node.IsMap()) {
    r.error(node, "workflows", "expected a mapping from workflow name to its steps");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    WorkflowConfig workflow;
    workflow.name = it->first.as<std::string>("");
    std::string path = "workflows." + workflow.name;
    workflow.where = r.at(it->first, path);
    const YAML::Node body = it->second;  // a copy: `it->second` is a member of a temporary
    if (!r.check_map(body, path, {"description", "routes", "steps", "hooks"})) continue;
    if (body["hooks"]) workflow.hooks = read_hooks(r, body["hooks"], path + ".hooks");
    if (body["description"])
      workflow.description =
          r.scalar(body["description"], path + ".description", "a description").value_or("");
    if (const YAML::Node& routes = body["routes"]) {
      // routes: [{ when: { tag: support }, account: acme_support }]: the first that matches a
      // submitted post decides its account.
      if (!routes.IsSequence()) {
        r.error(routes, path + ".routes", "expected a list of { when, account }");
      } else {
        for (size_t i = 0; i < routes.size(); ++i) {
          const std::string rpath = path + ".routes[" + std::to_string(i) + "]";
          const YAML::Node& item = routes[i];
          if (!r.check_map(item, rpath, {"when", "account"})) continue;
          Route route;
          route.where = r.at(item, rpath);
          if (!item["when"] || !item["account"]) {
            r.error(item, rpath, "a route needs `when` (a condition) and `account`");
            continue;
          }
          route.when = read_condition(r, item["when"], rpath + ".when");
          route.account = r.scalar(item["account"], rpath + ".account", "an account").value_or("");
          if (!config.account(route.account)) {
            std::vector<std::string> names;
            for (const AccountConfig& a : config.accounts) names.push_back(a.name);
            r.error(item["account"], rpath + ".account",
                    "unknown account '" + route.account + "'" + did_you_mean(route.account, names));
          }
          workflow.routes.push_back(std::move(route));
        }
      }
    }
    const YAML::Node steps = body["steps"];
    if (!steps || !steps.IsSequence() || steps.size() == 0) {
      r.error(steps ? steps : YAML::Node(body), path + ".steps",
              "a workflow needs a list of steps (kind, plugin, config)");
      continue;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < steps.size(); ++i) {
      std::string spath = path + ".steps[" + std::to_string(i) + "]";
      const YAML::Node& s = steps[i];
      StepConfig step;
      step.where = r.at(s, spath);
      if (!r.check_map(s, spath,
                       {"name", "kind", "plugin", "config", "when", "timeout_seconds", "isolation",
                        "memory_limit_mb"}))
        continue;
      if (!s["kind"]) {
        r.error(s, spath, "missing required key 'kind' (" + join(step_kinds(), ", ") + ")");
      } else if (auto kind = r.scalar(s["kind"], spath + ".kind", "a step kind")) {
        if (!contains(step_kinds(), *kind)) {
          std::string suggestion = closest_match(*kind, step_kinds());
          r.error(s["kind"], spath + ".kind",
                  "unknown step kind '" + *kind + "'" +
                      (suggestion.empty() ? "; use one of " + join(step_kinds(), ", ")
                                          : "; did you mean '" + suggestion + "'?"));
        }
        step.kind = *kind;
      }
      if (!s["plugin"])
        r.error(s, spath, "missing required key 'plugin' (the plugin that runs this step)");
      else
        step.plugin = r.scalar(s["plugin"], spath + ".plugin", "a plugin name").value_or("");
      step.name = s["name"] ? r.scalar(s["name"], spath + ".name", "a name").value_or(step.kind)
                            : step.kind;
      if (!names.insert(step.name).second)
        r.error(
            s, spath,
            "two steps are named '" + step.name + "' in this workflow; give one of them a `name:`");
      const YAML::Node config_node = s["config"];
      step.config = config_node ? config_node : YAML::Node(YAML::NodeType::Map);
      step.config_where = r.at(config_node ? config_node : YAML::Node(s), spath + ".config");
      if (s["when"]) step.when = read_condition(r, s["when"], spath + ".when");
      step.timeout_s = default_step_timeout_s(step.kind);
      step.timeout_where = step.where;
      if (s["timeout_seconds"]) {
        step.timeout_where = r.at(s["timeout_seconds"], spath + ".timeout_seconds");
        std::optional<int64_t> timeout =
            r.integer(s["timeout_seconds"], spath + ".timeout_seconds");
        if (timeout && (*timeout < 1 || *timeout > 86'400))
          r.error(s["timeout_seconds"], spath + ".timeout_seconds",
                  "must be from 1 to 86400 (the seconds the step may run before it is reported "
                  "and its post retried)");
        else if (timeout)
          step.timeout_s = *timeout;
      }
      if (s["isolation"]) {
        std::optional<std::string> isolation =
            r.scalar(s["isolation"], spath + ".isolation", "in_process or process");
        if (isolation && *isolation != "in_process" && *isolation != "process")
          r.error(s["isolation"], spath + ".isolation",
                  "unknown isolation '" + *isolation +
                      "'; use in_process (the default) or process (the plugin runs in a child "
                      "process that may crash or hang without stopping the worker)");
        else if (isolation)
          step.isolation = *isolation;
        if (step.isolation == "process" && step.plugin.rfind("python:", 0) == 0)
          r.error(s["isolation"], spath + ".isolation",
                  "a python: step runs in the worker's interpreter; isolation: process is for "
                  "plugins (shared libraries)");
      }
      if (s["memory_limit_mb"]) {
        std::optional<int64_t> limit = r.integer(s["memory_limit_mb"], spath + ".memory_limit_mb");
        if (limit && (*limit < 16 || *limit > 1'048'576))
          r.error(s["memory_limit_mb"], spath + ".memory_limit_mb",
                  "must be from 16 to 1048576 (MiB of address space for the step's process)");
        else if (limit && step.isolation != "process")
          r.error(s["memory_limit_mb"], spath + ".memory_limit_mb",
                  "a memory limit needs `isolation: process` (a limit on the worker itself would "
                  "stop every post)");
        else if (limit)
          step.memory_limit_mb = *limit;
      }
      workflow.steps.push_back(std::move(step));
    }
    config.workflows.push_back(std::move(workflow));
  }
}

/// `notifiers:` a map of name -> {plugin, config}; each is a plugin component of kind notify.
void read_notifiers(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!node.IsMap()) {
    r.error(node, "notifiers", "expected a mapping of notifier names to {plugin, config}");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.as<std::string>("");
    const std::string path = "notifiers." + name;
    const YAML::Node body = it->second;
    StepConfig notifier;
    notifier.name = name;
    notifier.kind = "notify";
    notifier.where = r.at(body, path);
    if (!r.check_map(body, path, {"plugin", "config"})) continue;
    if (!body["plugin"]) {
      r.error(body, path, "missing required key 'plugin' (for example notify/webhook)");
      continue;
    }
    notifier.plugin = r.scalar(body["plugin"], path + ".plugin", "a plugin name").value_or("");
    const YAML::Node config_node = body["config"];
    notifier.config = config_node ? config_node : YAML::Node(YAML::NodeType::Map);
    notifier.config_where = r.at(config_node ? config_node : body, path + ".config");
    config.notifiers.push_back(std::move(notifier));
  }
}

void read_audit(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!r.check_map(node, "audit", {"checkpoints"}) || !node["checkpoints"]) return;
  const YAML::Node& body = node["checkpoints"];
  const std::string path = "audit.checkpoints";
  AuditConfig& audit = config.audit;
  audit.where = r.at(body, path);
  if (!r.check_map(body, path, {"key", "directory", "every_seconds", "origin"})) return;
  audit.checkpoints = true;
  if (!body["key"]) {
    r.error(body, path,
            "missing `key`: a ${env:NAME} or ${file:PATH} reference to an Ed25519 private key "
            "(PEM; make one with `openssl genpkey -algorithm ed25519 -out audit-key.pem`)");
  } else if (auto key =
                 r.scalar(body["key"], path + ".key", "a ${env:NAME} or ${file:PATH} reference")) {
    if (is_secret_reference(*key))
      audit.key = *key;
    else  // never echo the value: it may be a key pasted inline
      r.error(body["key"], path + ".key",
              "the signing key must not be written inline; store it in a file or an environment "
              "variable and write ${file:PATH} or ${env:NAME}");
  }
  if (!body["directory"]) {
    r.error(body, path,
            "missing `directory`: where checkpoints are written, outside the database (for "
            "example a folder on another disk or a write-once mount)");
  } else if (auto dir = r.scalar(body["directory"], path + ".directory", "a folder path")) {
    fs::path folder(*dir);
    audit.directory =
        (folder.is_absolute() ? folder : fs::path(config.directory) / folder).lexically_normal();
  }
  if (body["every_seconds"]) {
    if (auto every = r.integer(body["every_seconds"], path + ".every_seconds")) {
      if (*every < 0 || *every > 366LL * 86400)
        r.error(body["every_seconds"], path + ".every_seconds",
                "must be from 0 (only `herald audit checkpoint` writes them) to 31622400 (a year)");
      else
        audit.every_ms = *every * 1000;
    }
  }
  audit.origin = "herald/" + fs::path(config.file).stem().string();
  if (body["origin"]) {
    if (auto origin = r.scalar(body["origin"], path + ".origin", "a name for this trail")) {
      bool printable = !origin->empty();
      for (unsigned char c : *origin) printable = printable && c > 0x20 && c < 0x7f;
      if (printable)
        audit.origin = *origin;
      else
        r.error(body["origin"], path + ".origin",
                "must be one word of printable ASCII, such as example.com/herald/audit");
    }
  }
}

/// `secrets: { directories: [..] }`: the only folders ${file:..} references may read.
void read_secrets(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!r.check_map(node, "secrets", {"directories"}) || !node["directories"]) return;
  config.secret_directories.clear();
  for (const std::string& d : r.strings(node["directories"], "secrets.directories")) {
    fs::path folder(d);
    folder = folder.is_absolute() ? folder : fs::path(config.directory) / folder;
    std::error_code ec;
    fs::path real = fs::weakly_canonical(folder, ec);
    config.secret_directories.push_back((ec ? folder.lexically_normal() : real).string());
  }
}

/// Problems yaml-cpp lets through, found by walking every mapping: a key written twice (yaml-cpp
/// keeps both, and lookups see only one of them), and a NUL or a line break in a key (a name),
/// or a NUL in a value.
void check_tree(Reader& r, const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    if (node.Scalar().find('\0') != std::string::npos)
      r.error(node, path, "contains a NUL character (\\0); remove it");
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      check_tree(r, node[i], path + "[" + std::to_string(i) + "]");
  } else if (node.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      std::string name = key.IsScalar() ? key.Scalar() : "";
      std::string key_path = path.empty() ? name : path + "." + name;
      if (name.find('\0') != std::string::npos) {
        r.error(key, path, "a name contains a NUL character (\\0); remove it");
        continue;
      }
      if (name.find_first_of("\r\n") != std::string::npos) {
        r.error(key, path, "a name contains a line break; names are one line");
        continue;
      }
      auto [first, inserted] = seen.emplace(name, key.Mark());
      if (!inserted)
        r.error(key, key_path,
                "'" + name + "' is written twice in this mapping (first at line " +
                    std::to_string(first->second.line + 1) + ", column " +
                    std::to_string(first->second.column + 1) +
                    "); YAML would silently use only one of them: merge them or rename one");
      check_tree(r, value, key_path);
    }
  }
}

/// The first byte of the file that is not UTF-8, or a NUL byte, as file:line:column; "" when
/// there is none. yaml-cpp reads such bytes as they are, into names, paths and secrets.
std::string raw_byte_problem(const std::string& file, const std::string& bytes) {
  size_t bad = first_invalid_utf8(bytes);
  size_t nul = bytes.find('\0');
  if (bad == std::string::npos && nul == std::string::npos) return "";
  const size_t at = std::min(bad, nul);
  const size_t line_start = bytes.rfind('\n', at == 0 ? 0 : at - 1);
  const size_t line = 1 + static_cast<size_t>(std::count(bytes.begin(), bytes.begin() + at, '\n'));
  const size_t column = at - (line_start == std::string::npos || at == 0 ? 0 : line_start + 1) + 1;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(bytes[at]));
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) +
         (at == nul ? ": a NUL byte; a configuration is text: remove it"
                    : std::string(": byte ") + hex +
                          " is not UTF-8; save the file as UTF-8 (iconv -f LATIN1 -t UTF-8 "
                          "converts a Latin-1 file)");
}

/// "90 s", "0.5 s".
std::string seconds_text(int64_t ms) {
  std::ostringstream out;
  out << static_cast<double>(ms) / 1000 << " s";
  return out.str();
}

void read_engine(Reader& r, const YAML::Node& node, Configuration& config) {
  if (!r.check_map(node, "engine",
                   {"max_attempts", "retry_delay_seconds", "max_retry_delay_seconds",
                    "lease_seconds", "publish_concurrency"}))
    return;
  if (node["max_attempts"]) {
    if (auto n = r.integer(node["max_attempts"], "engine.max_attempts")) {
      if (*n < 1 || *n > 1000)
        r.error(node["max_attempts"], "engine.max_attempts",
                "must be from 1 to 1000, got " + std::to_string(*n) +
                    " (how many times a step that asks to retry is run before its post fails)");
      else
        config.engine.max_attempts = static_cast<int>(*n);
    }
  }
  // A retry waits at most 30 days: past that a post is better failed and looked at.
  constexpr double kMaxDelaySeconds = 30 * 86400;
  auto seconds = [&](const char* key, int64_t fallback_ms) {
    const std::optional<double> value = r.number(node[key], std::string("engine.") + key);
    if (!value) return fallback_ms;
    if (!(*value > 0 && *value <= kMaxDelaySeconds)) {
      r.error(node[key], std::string("engine.") + key,
              "must be more than 0 and at most 2592000 (30 days), got " + node[key].Scalar());
      return fallback_ms;
    }
    return static_cast<int64_t>(*value * 1000);
  };
  if (node["retry_delay_seconds"])
    config.engine.retry_delay_ms = seconds("retry_delay_seconds", config.engine.retry_delay_ms);
  if (node["max_retry_delay_seconds"])
    config.engine.max_retry_delay_ms =
        seconds("max_retry_delay_seconds", config.engine.max_retry_delay_ms);
  if (config.engine.retry_delay_ms > config.engine.max_retry_delay_ms)
    r.error(node["max_retry_delay_seconds"] ? node["max_retry_delay_seconds"]
                                            : node["retry_delay_seconds"],
            "engine.max_retry_delay_seconds",
            "the cap on the retry delay (" + seconds_text(config.engine.max_retry_delay_ms) +
                ") is shorter than the first delay, engine.retry_delay_seconds (" +
                seconds_text(config.engine.retry_delay_ms) + ")");
  if (node["lease_seconds"]) {
    if (auto lease = r.integer(node["lease_seconds"], "engine.lease_seconds")) {
      if (*lease < 1 || *lease > 7 * 86400)
        r.error(node["lease_seconds"], "engine.lease_seconds",
                "must be from 1 to 604800 (a week), got " + std::to_string(*lease) +
                    ": a claim that lasts no time lets a second worker take a post while the "
                    "first still runs it; the default is 300");
      else
        config.engine.lease_ms = *lease * 1000;
    }
  }
  if (node["publish_concurrency"]) {
    int64_t n = r.integer(node["publish_concurrency"], "engine.publish_concurrency").value_or(8);
    if (n < 1 || n > 256)
      r.error(node["publish_concurrency"], "engine.publish_concurrency",
              "must be from 1 to 256 (the number of accounts published to at once)");
    else
      config.engine.publish_concurrency = static_cast<int>(n);
  }
}

}  // namespace

int64_t default_step_timeout_s(const std::string& kind) {
  return kind == "publish" || kind == "amplify" ? 120 : 60;
}

const std::vector<std::string>& hook_points() {
  static const std::vector<std::string> points = [] {
    std::vector<std::string> out;
    for (const std::string& kind : step_kinds()) {
      out.push_back("before_" + kind);
      out.push_back("after_" + kind);
    }
    for (const char* point : {"on_reject", "on_fail", "on_publish"}) out.push_back(point);
    return out;
  }();
  return points;
}

bool Configuration::uses_python() const {
  if (!hooks.empty()) return true;
  for (const WorkflowConfig& workflow : workflows) {
    if (!workflow.hooks.empty()) return true;
    for (const StepConfig& step : workflow.steps)
      if (step.plugin.rfind("python:", 0) == 0) return true;
  }
  for (const StepConfig& step : inbound.steps)
    if (step.plugin.rfind("python:", 0) == 0) return true;
  return false;
}

Result<Configuration> load_configuration(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (!fs::exists(absolute, ec))
    return Status(ErrorCode::config, path + ": no such configuration file");
  std::string file = path;
  std::string bytes;
  {
    std::ifstream in(absolute, std::ios::binary);
    if (!in) return Status(ErrorCode::config, path + ": cannot be read");
    std::stringstream content;
    content << in.rdbuf();
    bytes = content.str();
  }
  if (std::string problem = raw_byte_problem(file, bytes); !problem.empty())
    return Status(ErrorCode::config, problem);
  YAML::Node root;
  try {
    root = YAML::Load(bytes);
  } catch (const YAML::ParserException& e) {
    return Status(ErrorCode::config, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                         std::to_string(e.mark.column + 1) +
                                         ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    const std::string where = e.mark.is_null() ? ""
                                               : ":" + std::to_string(e.mark.line + 1) + ":" +
                                                     std::to_string(e.mark.column + 1);
    return Status(ErrorCode::config, file + where + ": cannot be read as YAML: " + e.msg);
  }

  Reader r(file);
  Configuration config;
  config.file = absolute.string();
  config.directory = absolute.parent_path().string();
  config.store_path = (absolute.parent_path() / (absolute.stem().string() + ".db")).string();

  if (!root.IsMap())
    return Status(ErrorCode::config,
                  file + ":1:1: expected a mapping with `herald: 1`, `accounts`, `workflows`, ...");
  r.check_map(root, "",
              {"herald", "store", "plugin_paths", "engine", "accounts", "people", "teams",
               "workflows", "python", "hooks", "inbound", "notifiers", "audit", "secrets"});
  check_tree(r, root, "");
  config.secret_directories = {config.directory};
  if (root["secrets"]) read_secrets(r, root["secrets"], config);

  if (!root["herald"]) {
    r.error(root, "herald", "missing `herald: 1` (the configuration schema version)");
  } else if (root["herald"].IsScalar() && root["herald"].Scalar() != "1") {
    r.error(root["herald"], "herald",
            "this Herald reads configuration schema 1, not '" + root["herald"].Scalar() + "'");
  }
  if (const YAML::Node& store = root["store"]) {
    if (r.check_map(store, "store", {"backend", "path"})) {
      if (store["backend"]) {
        auto backend = r.scalar(store["backend"], "store.backend", "a backend name");
        if (backend && *backend != "sqlite")
          r.error(store["backend"], "store.backend",
                  "unknown store backend '" + *backend + "'; this build supports sqlite");
      }
      if (store["path"]) {
        if (auto p = r.scalar(store["path"], "store.path", "a file path")) {
          fs::path store_path(*p);
          config.store_path = store_path.is_absolute()
                                  ? store_path.string()
                                  : (absolute.parent_path() / store_path).string();
        }
      }
    }
  }
  if (const YAML::Node& paths = root["plugin_paths"]) {
    for (const auto& p : r.strings(paths, "plugin_paths")) {
      fs::path plugin_path(p);
      config.plugin_paths.push_back(
          plugin_path.is_absolute()
              ? plugin_path.string()
              : (absolute.parent_path() / plugin_path).lexically_normal().string());
    }
  }
  if (root["engine"]) read_engine(r, root["engine"], config);
  if (root["audit"]) read_audit(r, root["audit"], config);
  if (root["python"]) read_python(r, root["python"], config);
  if (root["hooks"]) config.hooks = read_hooks(r, root["hooks"], "hooks");
  if (root["accounts"]) read_accounts(r, root["accounts"], config);
  if (root["people"]) read_people(r, root["people"], config);
  if (root["teams"]) read_teams(r, root["teams"], config);
  if (!root["workflows"])
    r.error(root, "workflows", "missing `workflows` (at least one workflow with its steps)");
  else
    read_workflows(r, root["workflows"], config);

  if (root["inbound"]) read_inbound(r, root["inbound"], config);
  if (root["notifiers"]) read_notifiers(r, root["notifiers"], config);
  // The built-in notifier `outbox` (share requests as JSON lines in outbox/) unless replaced.
  if (!config.notifier("outbox")) {
    StepConfig outbox;
    outbox.kind = "notify";
    outbox.name = "outbox";
    outbox.plugin = "notify/outbox";
    outbox.config = YAML::Node(YAML::NodeType::Map);
    outbox.where = outbox.config_where = SourceLocation{file, 1, 1, "notifiers.outbox"};
    config.notifiers.push_back(std::move(outbox));
  }
  // A hook or Python step still running when its post's lease ends lets a second worker take
  // the post and run it too: the lease must outlast the time limit (0, no limit, is a choice).
  if (config.uses_python() && config.python.timeout_ms > 0 &&
      config.python.timeout_ms >= config.engine.lease_ms) {
    const YAML::Node& const_root = root;
    YAML::Node timeout, lease;
    if (const_root["python"].IsMap() && const_root["python"]["timeout_seconds"])
      timeout.reset(const_root["python"]["timeout_seconds"]);
    if (const_root["engine"].IsMap() && const_root["engine"]["lease_seconds"])
      lease.reset(const_root["engine"]["lease_seconds"]);
    r.error(timeout ? timeout
            : lease ? lease
                    : root,
            timeout ? "python.timeout_seconds" : "engine.lease_seconds",
            "python.timeout_seconds (" + std::to_string(config.python.timeout_ms / 1000) +
                ") is not shorter than engine.lease_seconds (" +
                std::to_string(config.engine.lease_ms / 1000) +
                "): a hook or Python step still running when the lease ends lets another worker "
                "take its post; make the lease longer than the time limit");
  }
  // A step still running when its post's lease ends lets a second worker take the post and
  // run the step too: every step's deadline must end before the lease does.
  for (const auto& workflow : config.workflows)
    for (const auto& step : workflow.steps)
      if (step.kind != "inbound" && step.timeout_s * 1000 >= config.engine.lease_ms)
        r.error(step.timeout_where,
                "the deadline of step '" + step.name + "' (" + std::to_string(step.timeout_s) +
                    " s" +
                    (step.timeout_where.key_path.ends_with("timeout_seconds")
                         ? std::string()
                         : ", the default for " + step.kind + " steps") +
                    ") is not shorter than engine.lease_seconds (" +
                    std::to_string(config.engine.lease_ms / 1000) +
                    "): a step still running when the lease ends lets another worker take its "
                    "post; set the step's timeout_seconds below the lease, or a longer lease");
  // Conditions that name accounts or people must name real ones.
  for (const auto& workflow : config.workflows) {
    for (const auto& step : workflow.steps) {
      for (const auto& account : step.when.accounts)
        if (!config.account(account))
          r.error(step.where, "`when.account` names unknown account '" + account + "'");
    }
  }

  if (!r.errors().empty()) return Status(ErrorCode::config, join(r.errors(), "\n"));
  return config;
}

void start_at_first_step(Post& post, const WorkflowConfig& workflow, int64_t now_ms) {
  post.step_index = 0;
  post.step_kind = workflow.steps.front().kind;
  post.state = PostState::ready;
  post.wake_ms = now_ms;
  post.step_entered_ms = now_ms;
  post.updated_ms = now_ms;
}

}  // namespace herald
