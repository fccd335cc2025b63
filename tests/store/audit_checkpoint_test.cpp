// Signed checkpoints of the audit trail: the signed-note format against the reference vector,
// and, through the `herald` command as an operator runs it, each way of cutting the trail short
// or rewriting it, caught against a checkpoint.
#include "store/audit_checkpoint.hpp"
#include "store/audit_chain.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

namespace herald {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> read_vector(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(": ");
    if (colon != std::string::npos) values[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return values;
}

/// A PEM PKCS#8 Ed25519 private key from its 32-byte seed.
std::string private_pem_from_seed(const std::string& seed) {
  static const unsigned char kPrefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                          0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
  std::string der(reinterpret_cast<const char*>(kPrefix), sizeof kPrefix);
  der += seed;
  return "-----BEGIN PRIVATE KEY-----\n" +
         base64_encode(reinterpret_cast<const unsigned char*>(der.data()), der.size()) +
         "\n-----END PRIVATE KEY-----\n";
}

std::string new_private_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

TEST(SignedNote, KeysAndSignaturesMatchTheReferenceVector) {
  auto vector = read_vector(std::string(TEST_DATA_DIR) + "/signed-note/vector.txt");
  ASSERT_EQ(vector.size(), 5u);
  const std::string signer = vector["signer"];  // PRIVATE+KEY+<name>+<id>+<base64(1 || seed)>
  const std::string name = "PeterNeumann";
  size_t key_at = 0;
  for (int plus = 0; plus < 4; ++plus) key_at = signer.find('+', key_at) + 1;
  std::optional<std::string> typed = base64_decode(signer.substr(key_at));
  ASSERT_TRUE(typed && typed->size() == 33 && (*typed)[0] == 1);
  auto key = CheckpointKey::from_private_pem(private_pem_from_seed(typed->substr(1)));
  ASSERT_TRUE(key) << key.status().message();
  EXPECT_EQ(key->verifier(name), vector["verifier"]);

  const std::string text = vector["text1"] + "\n" + vector["text2"] + "\n";
  auto signature = key->sign(text);
  ASSERT_TRUE(signature);
  std::array<unsigned char, 4> id = key->key_id(name);
  std::string blob(reinterpret_cast<const char*>(id.data()), id.size());
  blob += *signature;
  const std::string line =
      "\xE2\x80\x94 " + name + " " +
      base64_encode(reinterpret_cast<const unsigned char*>(blob.data()), blob.size());
  EXPECT_EQ(line, vector["signature"]);
  EXPECT_TRUE(key->verify(text, *signature));
  EXPECT_FALSE(key->verify(text + " ", *signature));
}

TEST(SignedNote, ACheckpointReadsBackOnlyWithItsKeyAndUnchanged) {
  auto key = CheckpointKey::from_private_pem(new_private_pem());
  auto other = CheckpointKey::from_private_pem(new_private_pem());
  ASSERT_TRUE(key && other);
  Checkpoint checkpoint{"example.com/herald/audit", 42, sha256("head")};
  auto text = format_checkpoint(checkpoint, *key);
  ASSERT_TRUE(text);
  auto read = read_checkpoint(*text, *key, "a.checkpoint");
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(read->size, 42);
  EXPECT_EQ(read->head, checkpoint.head);
  EXPECT_EQ(read->origin, checkpoint.origin);

  auto public_only = CheckpointKey::from_public_pem(key->public_pem());
  ASSERT_TRUE(public_only);
  EXPECT_TRUE(read_checkpoint(*text, *public_only, "a.checkpoint"));
  EXPECT_FALSE(public_only->sign("x"));

  auto refused = read_checkpoint(*text, *other, "a.checkpoint");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::failed_precondition);
  EXPECT_NE(refused.status().message().find("does not verify"), std::string::npos);

  std::string bigger = *text;
  bigger.replace(bigger.find("\n42\n"), 4, "\n43\n");
  EXPECT_EQ(read_checkpoint(bigger, *key, "a.checkpoint").status().code(),
            ErrorCode::failed_precondition);

  for (const std::string& malformed :
       {std::string(""), std::string("origin\n42\n"), std::string("o\n-1\nAAAA\n\n— o AAAA\n"),
        std::string("o\n042\n") + text->substr(text->find('\n', text->find('\n') + 1) + 1),
        text->substr(0, text->find("\n\n") + 2), std::string("o\n1\nnot base64!\n\n— o x\n"),
        std::string("\xff\xfe\n1\n\n\n")}) {
    auto bad = read_checkpoint(malformed, *key, "bad.checkpoint");
    ASSERT_FALSE(bad) << malformed;
    EXPECT_EQ(bad.status().code(), ErrorCode::invalid_argument) << malformed;
    EXPECT_NE(bad.status().message().find("bad.checkpoint: not an audit checkpoint"),
              std::string::npos)
        << bad.status().message();
  }
  EXPECT_FALSE(CheckpointKey::from_private_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n"));
  EXPECT_FALSE(CheckpointKey::from_public_pem(new_private_pem()));
}

TEST(SignedNote, Base64IsCanonicalOnly) {
  EXPECT_EQ(base64_decode("aGk="), "hi");
  EXPECT_FALSE(base64_decode("aGl="));  // stray bits in the last character
  EXPECT_FALSE(base64_decode("aGk"));
  EXPECT_FALSE(base64_decode("a=Gk"));
  EXPECT_FALSE(base64_decode(""));
}

const char* kWorkflow = R"(herald: 1
accounts:
  corp: { network: outbox, handle: corp }
people:
  ana: { roles: [writer] }
audit:
  checkpoints:
    key: ${file:keys/audit.pem}
    directory: checkpoints
    every_seconds: 3600
    origin: example.com/herald/audit
workflows:
  plain:
    steps:
      - { kind: draft, plugin: draft/check }
      - { kind: publish, plugin: outbox, config: { fsync: false } }
  later:
    steps:
      - { kind: schedule, plugin: schedule/at }
      - { kind: publish, plugin: outbox, config: { fsync: false } }
)";

class AuditCheckpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.file("keys"));
    dir_.write("keys/audit.pem", new_private_pem());
    config_ = dir_.write("company.yaml",
                         std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + kWorkflow);
  }
  testing::CommandResult herald(const std::string& args) {
    return testing::run_command(std::string(HERALD_CLI) + " " + args);
  }
  /// Submits `count` posts and runs them to the end on the virtual clock.
  void publish(int count) {
    for (int i = 0; i < count; ++i) {
      auto submitted = herald("submit " + config_ + " -w plain -a corp --author ana --text 'Post " +
                              std::to_string(++posts_) + "'");
      ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
    }
    auto run = herald("run " + config_ + " --clock virtual --start 2030-01-01T09:00:00Z" +
                      " --until-idle");
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  void sql(const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("company.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }
  int64_t entries() {
    auto verified = herald("audit verify " + config_ + " --json");
    return nlohmann::json::parse(verified.output)["entries"].get<int64_t>();
  }
  nlohmann::json verify_json(const std::string& extra = "") {
    auto verified = herald("audit verify " + config_ + " --json" + extra);
    auto parsed = nlohmann::json::parse(verified.output);
    parsed["exit_code"] = verified.exit_code;
    return parsed;
  }
  std::vector<std::string> checkpoint_files() {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_.file("checkpoints")))
      files.push_back(entry.path().filename().string());
    std::sort(files.begin(), files.end());
    return files;
  }

  testing::TempDir dir_;
  std::string config_;
  int posts_ = 0;
};

TEST_F(AuditCheckpoints, RunWritesOneAndVerifyHoldsTheTrailToIt) {
  publish(3);
  int64_t size = entries();
  ASSERT_GT(size, 3);
  char expected[48];
  std::snprintf(expected, sizeof expected, "audit-%012lld.checkpoint",
                static_cast<long long>(size));
  EXPECT_EQ(checkpoint_files(), std::vector<std::string>{expected});
  std::string text = testing::read_file(dir_.file("checkpoints/") + expected);
  EXPECT_EQ(text.rfind("example.com/herald/audit\n" + std::to_string(size) + "\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n\n\xE2\x80\x94 example.com/herald/audit "), std::string::npos) << text;

  auto verified = herald("audit verify " + config_);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("1 of 1 signed checkpoint(s) hold"), std::string::npos)
      << verified.output;
  // Nothing new: the command says so and writes nothing.
  auto again = herald("audit checkpoint " + config_);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already there"), std::string::npos) << again.output;
  EXPECT_EQ(checkpoint_files().size(), 1u);

  // An auditor with only the public key checks the same.
  auto public_key = herald("audit public-key " + config_);
  ASSERT_EQ(public_key.exit_code, 0) << public_key.output;
  EXPECT_NE(public_key.output.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(public_key.output.find("PRIVATE"), std::string::npos);
  std::string pem = dir_.write("auditor.pem", public_key.output);
  auto audited = verify_json(" --public-key " + pem + " --checkpoint " + dir_.file("checkpoints"));
  EXPECT_EQ(audited["exit_code"], 0) << audited.dump();
  EXPECT_EQ(audited["checkpoints"].size(), 1u);
}

TEST_F(AuditCheckpoints, ALongRunWritesOneEachPeriodThatTheTrailGrew) {
  // Three posts three hours apart on a virtual clock: `run` writes a checkpoint in each hour
  // the trail grew, and one when it stops; all of them hold.
  const std::string start = " --clock virtual --start 2030-06-01T08:00:00Z";
  for (const char* at : {"2030-06-01T09:00:00Z", "2030-06-01T12:00:00Z", "2030-06-01T15:00:00Z"}) {
    auto submitted = herald("submit " + config_ + " -w later -a corp --author ana --text 'At " +
                            at + "' --at " + at + start);
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  }
  auto run = herald("run " + config_ + " --clock virtual --until-idle");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(checkpoint_files().size(), 3u);
  auto verified = verify_json();
  EXPECT_EQ(verified["exit_code"], 0) << verified.dump();
  EXPECT_EQ(verified["checkpoints"].size(), checkpoint_files().size());
}

TEST_F(AuditCheckpoints, DeletingTheNewestEntriesIsCaught) {
  publish(2);
  int64_t size = entries();
  sql("DELETE FROM audit WHERE id > " + std::to_string(size - 3));
  // The chain that is left is consistent: only the checkpoint shows what is gone.
  auto chain_only = herald("audit verify " + config_ + " --checkpoint /dev/null");
  EXPECT_EQ(chain_only.exit_code, 8) << "an empty file is no checkpoint";
  auto verified = verify_json();
  EXPECT_EQ(verified["exit_code"], 8) << verified.dump();
  EXPECT_EQ(verified["broken_id"], 0) << "the hash chain alone cannot see this";
  ASSERT_EQ(verified["checkpoints"].size(), 1u);
  EXPECT_EQ(verified["checkpoints"][0]["holds"], false);
  EXPECT_EQ(verified["checkpoints"][0]["first_missing_id"], size - 2);
  auto text = herald("audit verify " + config_);
  EXPECT_NE(text.output.find("entries " + std::to_string(size - 2) + " to " + std::to_string(size) +
                             " are missing"),
            std::string::npos)
      << text.output;
  // And no new checkpoint vouches for the shortened trail.
  auto checkpoint = herald("audit checkpoint " + config_);
  EXPECT_EQ(checkpoint.exit_code, 8) << checkpoint.output;
  EXPECT_EQ(checkpoint_files().size(), 1u);
}

TEST_F(AuditCheckpoints, AChainRewrittenConsistentlyIsCaught) {
  publish(2);
  int64_t size = entries();
  // Change who submitted the first post, then recompute every hash after it, as someone with
  // the database and the source code could.
  sql("UPDATE audit SET actor = 'mallory' WHERE id = 1");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("company.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* rows = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT id, post_id, at_ms, actor, action, step, from_state, "
                               "to_state, detail FROM audit ORDER BY id",
                               -1, &rows, nullptr),
            SQLITE_OK);
  std::vector<std::pair<int64_t, Digest>> hashes;
  Digest prev{};
  auto text = [&](int column) {
    const unsigned char* value = sqlite3_column_text(rows, column);
    return std::string(value ? reinterpret_cast<const char*>(value) : "");
  };
  while (sqlite3_step(rows) == SQLITE_ROW) {
    prev = audit_entry_digest(prev, sqlite3_column_int64(rows, 0), sqlite3_column_int64(rows, 1),
                              sqlite3_column_int64(rows, 2), text(3), text(4), text(5), text(6),
                              text(7), text(8));
    hashes.emplace_back(sqlite3_column_int64(rows, 0), prev);
  }
  sqlite3_finalize(rows);
  sqlite3_close(db);
  ASSERT_EQ(static_cast<int64_t>(hashes.size()), size);
  std::string updates;
  for (const auto& [id, hash] : hashes)
    updates +=
        "UPDATE audit SET hash = X'" + to_hex(hash) + "' WHERE id = " + std::to_string(id) + ";";
  sql(updates);

  auto chain = herald("audit verify " + config_ + " --checkpoint " + dir_.file("keys"));
  EXPECT_EQ(chain.exit_code, 0) << "no *.checkpoint in that folder: the chain alone looks whole\n"
                                << chain.output;
  auto verified = verify_json();
  EXPECT_EQ(verified["exit_code"], 8) << verified.dump();
  EXPECT_EQ(verified["broken_id"], 0);
  EXPECT_NE(verified["checkpoints"][0]["problem"].get<std::string>().find(
                "entry " + std::to_string(size) + " is not the entry this checkpoint vouches for"),
            std::string::npos)
      << verified.dump();
}

TEST_F(AuditCheckpoints, AnOldCopyOfTheDatabasePutBackIsCaught) {
  publish(1);
  int64_t first = entries();
  fs::copy_file(dir_.file("company.db"), dir_.file("old.db"));
  publish(2);
  int64_t second = entries();
  ASSERT_GT(second, first);
  EXPECT_EQ(checkpoint_files().size(), 2u);
  fs::remove(dir_.file("company.db-wal"));
  fs::remove(dir_.file("company.db-shm"));
  fs::copy_file(dir_.file("old.db"), dir_.file("company.db"), fs::copy_options::overwrite_existing);
  EXPECT_EQ(entries(), first);
  auto verified = verify_json();
  EXPECT_EQ(verified["exit_code"], 8) << verified.dump();
  ASSERT_EQ(verified["checkpoints"].size(), 2u);
  EXPECT_EQ(verified["checkpoints"][0]["holds"], true) << "the old copy matches the older one";
  EXPECT_EQ(verified["checkpoints"][1]["holds"], false);
  EXPECT_EQ(verified["checkpoints"][1]["first_missing_id"], first + 1);
}

TEST_F(AuditCheckpoints, AnAlteredOrForeignCheckpointIsNotTrusted) {
  publish(1);
  std::string file = dir_.file("checkpoints/") + checkpoint_files().front();
  std::string text = testing::read_file(file);
  std::string size = std::to_string(entries());
  std::string larger = text;
  larger.replace(larger.find("\n" + size + "\n"), size.size() + 2,
                 "\n" + std::to_string(entries() + 100) + "\n");
  dir_.write("forged.checkpoint", larger);
  auto forged =
      herald("audit verify " + config_ + " --checkpoint " + dir_.file("forged.checkpoint"));
  EXPECT_EQ(forged.exit_code, 8) << forged.output;
  EXPECT_NE(forged.output.find("signature does not verify"), std::string::npos) << forged.output;

  // A checkpoint signed with another key, or for another trail, does not hold either.
  dir_.write("keys/audit.pem", new_private_pem());
  auto other_key = herald("audit verify " + config_);
  EXPECT_EQ(other_key.exit_code, 8) << other_key.output;
  // A public key file that is not one is bad input, not a broken trail.
  auto not_a_key = herald("audit verify " + config_ + " --public-key " + config_);
  EXPECT_EQ(not_a_key.exit_code, 2) << not_a_key.output;
}

TEST_F(AuditCheckpoints, TheConfigurationIsCheckedAndTheKeyNeverShown) {
  std::string config = kWorkflow;
  std::string inline_key = config;
  inline_key.replace(inline_key.find("${file:keys/audit.pem}"), 22, "MC4CAQAwBQYDK2VwBCIEIsecret");
  inline_key.replace(inline_key.find("every_seconds: 3600"), 19, "every_seconds: -1");
  std::string path = dir_.write(
      "bad.yaml", std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + inline_key);
  auto validated = herald("validate " + path);
  EXPECT_EQ(validated.exit_code, 3) << validated.output;
  EXPECT_EQ(validated.output.find("secret"), std::string::npos) << validated.output;
  EXPECT_NE(validated.output.find("bad.yaml:9:10 (audit.checkpoints.key): the signing key must "
                                  "not be written inline"),
            std::string::npos)
      << validated.output;
  EXPECT_NE(validated.output.find("(audit.checkpoints.every_seconds): must be from 0"),
            std::string::npos)
      << validated.output;

  dir_.write("keys/audit.pem", "not a key at all");
  auto checkpoint = herald("audit checkpoint " + config_);
  EXPECT_EQ(checkpoint.exit_code, 3) << checkpoint.output;
  EXPECT_NE(checkpoint.output.find("not a PEM private key"), std::string::npos)
      << checkpoint.output;
  EXPECT_EQ(checkpoint.output.find("not a key at all"), std::string::npos);
}

}  // namespace
}  // namespace herald
