// An example draft step from outside Herald: rejects posts that shout (too many capitals or
// exclamation marks). Build it with find_package(Herald) and herald_add_plugin().
#include <herald/plugin.hpp>

#include <cctype>

class NoShouting : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"max_exclamations", HERALD_TYPE_INT, 0, "1", "most '!' a post may have"},
      {"max_capitals_percent", HERALD_TYPE_INT, 0, "50", "most letters that may be capitals, in %"},
  }};

  explicit NoShouting(herald::Config& config)
      : max_exclamations_(config.integer("max_exclamations", 1)),
        max_capitals_percent_(config.integer("max_capitals_percent", 50)) {}

  void run(herald::Context& post) override {
    int64_t exclamations = 0, letters = 0, capitals = 0;
    for (unsigned char c : post.text()) {
      exclamations += c == '!';
      if (std::isalpha(c)) {
        ++letters;
        capitals += std::isupper(c) != 0;
      }
    }
    if (exclamations > max_exclamations_) {
      post.reject("too many exclamation marks (" + std::to_string(exclamations) + ")");
    } else if (letters >= 8 && capitals * 100 > letters * max_capitals_percent_) {
      post.reject("shouting: " + std::to_string(capitals * 100 / letters) + "% capitals");
    } else {
      post.advance();
    }
  }

 private:
  int64_t max_exclamations_;
  int64_t max_capitals_percent_;
};

HERALD_PLUGIN("shout", "1.0.0", "MIT",
              HERALD_COMPONENT(NoShouting, HERALD_KIND_DRAFT, "no_shouting",
                               "rejects posts with too many capitals or exclamation marks"))
