// An example notifier from outside Herald: delivers share requests (and any other message a
// step sends through `notify`) to a team chat, here a plain text file that stands in for the
// chat's API. Configure it under `notifiers:` and name it in the advocacy step:
//
//   notifiers:
//     chat: { plugin: team_chat/room, config: { file: chat.log } }
//   ... - { kind: amplify, plugin: advocacy, config: { notifier: chat } }
#include <herald/plugin.hpp>

#include <fstream>
#include <mutex>

class TeamChat : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"file", HERALD_TYPE_PATH, 1, nullptr, "where the chat messages go, one a line"},
      {"prefix", HERALD_TYPE_STRING, 0, "@", "written before the person's id"},
  }};

  explicit TeamChat(herald::Config& config)
      : file_(config.string("file")), prefix_(config.string("prefix")) {}

  void run(herald::Context& post) override {
    herald::Notification note = post.notification();
    std::lock_guard<std::mutex> lock(mutex_);
    // The key makes a message that is sent again after a crash land once.
    std::ifstream existing(file_);
    for (std::string line; std::getline(existing, line);)
      if (line.rfind(note.key + " ", 0) == 0) return post.advance();
    std::ofstream out(file_, std::ios::app);
    out << note.key << " " << prefix_ << note.to << ": please share post " << post.id() << "\n";
    if (!out.flush()) return post.retry(0, "cannot write to " + file_);
    post.advance();
  }

 private:
  std::string file_;
  std::string prefix_;
  std::mutex mutex_;
};

HERALD_PLUGIN("team_chat", "1.0.0", "MIT",
              HERALD_COMPONENT(TeamChat, HERALD_KIND_NOTIFY, "room",
                               "posts each message to the team's chat room"))
