// The audit trail's verification and its signed checkpoints (docs/approvals.md).
#include <herald/host.hpp>

#include "host_impl.hpp"
#include "store/audit_chain.hpp"
#include "store/audit_checkpoint.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace herald {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxCheckpointBytes = 1 << 16;

Result<std::string> read_small_file(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status(ErrorCode::not_found, path.string() + ": cannot be read: " + ec.message());
  if (size > kMaxCheckpointBytes)
    return Status(ErrorCode::invalid_argument,
                  path.string() + ": not an audit checkpoint: larger than 64 KiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::not_found, path.string() + ": cannot be read");
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

/// The checkpoint files named: files as they are, folders by their *.checkpoint files in
/// name order (which is size order, as Herald names them).
Result<std::vector<fs::path>> checkpoint_files(const std::vector<std::string>& sources) {
  std::vector<fs::path> files;
  for (const std::string& source : sources) {
    std::error_code ec;
    if (fs::is_directory(source, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(source, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".checkpoint")
          found.push_back(entry.path());
      if (ec)
        return Status(ErrorCode::not_found, source + ": cannot list the folder: " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(source, ec)) {
      files.emplace_back(source);
    } else {
      return Status(ErrorCode::not_found, source + ": no such checkpoint file or folder");
    }
  }
  return files;
}

std::string checkpoint_name(int64_t size) {
  char name[48];
  std::snprintf(name, sizeof name, "audit-%012lld.checkpoint", static_cast<long long>(size));
  return name;
}

/// Writes `text` to `path` whole or not at all: a temporary file, fsync, rename, fsync of the
/// folder.
Status write_durably(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return Status(ErrorCode::store,
                  path.parent_path().string() + ": cannot create the folder: " + ec.message());
  fs::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status(ErrorCode::store, temporary.string() + ": cannot write: " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  std::string why = std::strerror(errno);
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    if (ok) why = std::strerror(errno);
    ::unlink(temporary.c_str());
    return Status(ErrorCode::store, path.string() + ": cannot write: " + why);
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

Result<CheckpointKey> signing_key(const Configuration& config) {
  if (!config.audit.checkpoints)
    return Status(ErrorCode::failed_precondition,
                  config.file +
                      " configures no audit.checkpoints (key and directory); see "
                      "docs/approvals.md");
  Result<std::string> pem = resolve_secret(config.audit.key, config);
  if (!pem) return pem.status();
  return CheckpointKey::from_private_pem(*pem);
}

}  // namespace

Result<AuditVerification> Host::verify_audit() {
  return verify_audit({}, "");
}

Result<AuditVerification> Host::verify_audit(const std::vector<std::string>& checkpoints,
                                             const std::string& public_key_pem) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  AuditVerification out;

  // Each checkpoint, read and its signature checked, before the trail is walked.
  struct Expected {
    size_t index;
    Digest head;
  };
  std::multimap<int64_t, Expected> wanted;  // size -> the checkpoint that names it
  if (!checkpoints.empty()) {
    Result<CheckpointKey> key = public_key_pem.empty()
                                    ? signing_key(config)
                                    : CheckpointKey::from_public_pem(public_key_pem);
    if (!key) return key.status();
    Result<std::vector<fs::path>> files = checkpoint_files(checkpoints);
    if (!files) return files.status();
    for (const fs::path& file : *files) {
      CheckpointCheck check;
      check.source = file.string();
      Result<std::string> text = read_small_file(file);
      Result<Checkpoint> read =
          text ? read_checkpoint(*text, *key, check.source) : Result<Checkpoint>(text.status());
      if (!read) {
        check.problem = read.status().message();
      } else if (config.audit.checkpoints && read->origin != config.audit.origin) {
        check.size = read->size;
        check.problem = check.source + ": the checkpoint is of the trail '" + read->origin +
                        "', not of this configuration's trail '" + config.audit.origin + "'";
      } else {
        check.size = read->size;
        check.holds = true;  // until the walk below finds otherwise
        wanted.emplace(read->size, Expected{out.checkpoints.size(), read->head});
      }
      out.checkpoints.push_back(std::move(check));
    }
  }

  AuditChainCheck chain;
  std::map<int64_t, Digest> seen;  // the hashes of the entries the checkpoints name
  Status scanned = impl_->store->scan_audit([&](const AuditRecord& r) {
    if (!chain.next(r)) return false;
    if (wanted.count(r.id) > 0)
      if (std::optional<Digest> hash = digest_from_hex(r.hash)) seen[r.id] = *hash;
    return true;
  });
  if (!scanned) return scanned;
  out.intact = chain.problem().empty();
  out.entries = chain.entries();
  out.broken_id = chain.broken_id();
  out.problem = chain.problem();
  out.head_id = chain.head_id();
  out.head_hash = chain.head_hash();

  for (const auto& [size, expected] : wanted) {
    CheckpointCheck& check = out.checkpoints[expected.index];
    if (size == 0) continue;
    if (out.broken_id != 0 && out.broken_id <= size) {
      check.holds = false;
      check.problem = check.source + ": the chain is broken at entry " +
                      std::to_string(out.broken_id) + ", inside the " + std::to_string(size) +
                      " entries this checkpoint vouches for";
    } else if (out.head_id < size) {
      check.holds = false;
      check.first_missing_id = out.head_id + 1;
      check.problem = check.source + ": the trail ends at entry " + std::to_string(out.head_id) +
                      " but this checkpoint vouches for " + std::to_string(size) +
                      " entries: entries " + std::to_string(out.head_id + 1) + " to " +
                      std::to_string(size) +
                      " are missing (deleted, or an older copy of the database was put back)";
    } else if (auto it = seen.find(size); it == seen.end() || it->second != expected.head) {
      check.holds = false;
      check.problem = check.source + ": entry " + std::to_string(size) +
                      " is not the entry this checkpoint vouches for (its hash differs): the "
                      "trail up to entry " +
                      std::to_string(size) + " was rewritten or replaced";
    }
  }
  for (const CheckpointCheck& check : out.checkpoints)
    if (!check.holds) out.intact = false;
  return out;
}

Result<AuditCheckpointResult> Host::checkpoint_audit() {
  if (Status s = impl_->require_store(); !s) return s;
  const AuditConfig& audit = impl_->config.audit;
  Result<CheckpointKey> key = signing_key(impl_->config);
  if (!key) return key.status();

  AuditCheckpointResult out;
  std::vector<std::string> earlier;
  std::error_code ec;
  if (fs::is_directory(audit.directory, ec)) earlier.push_back(audit.directory);
  Result<AuditVerification> verified = verify_audit(earlier, key->public_pem());
  if (!verified) return verified.status();
  out.verified = std::move(*verified);
  if (!out.verified.intact || out.verified.head_id == 0) return out;

  std::optional<Digest> head = digest_from_hex(out.verified.head_hash);
  if (!head) return Status(ErrorCode::internal, "the trail's head hash is not a SHA-256 digest");
  Checkpoint checkpoint{audit.origin, out.verified.head_id, *head};
  out.size = checkpoint.size;
  out.head_hash = out.verified.head_hash;
  out.file = (fs::path(audit.directory) / checkpoint_name(checkpoint.size)).string();
  if (fs::exists(out.file, ec)) {  // verified above: it vouches for this very trail
    Result<std::string> text = read_small_file(out.file);
    if (text) out.text = *text;
    return out;
  }
  Result<std::string> text = format_checkpoint(checkpoint, *key);
  if (!text) return text.status();
  if (Status s = write_durably(out.file, *text); !s) return s;
  out.text = std::move(*text);
  out.written = true;
  return out;
}

std::string Host::audit_checkpoint_directory() const {
  return impl_->config.audit.checkpoints ? impl_->config.audit.directory : "";
}

Result<std::string> Host::audit_public_key() {
  Result<CheckpointKey> key = signing_key(impl_->config);
  if (!key) return key.status();
  return key->public_pem() + key->verifier(impl_->config.audit.origin) + "\n";
}

}  // namespace herald
