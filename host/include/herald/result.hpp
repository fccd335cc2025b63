// Errors as values for Herald's host API: a Status says what went wrong and what to do about it;
// Result<T> is a value or a Status.
//
// Example:
//   herald::Result<int64_t> id = host.submit(request);
//   if (!id) { std::cerr << id.status().message() << "\n"; return id.status().exit_code(); }
#ifndef HERALD_RESULT_HPP
#define HERALD_RESULT_HPP

#include <string>
#include <utility>
#include <variant>

namespace herald {

enum class ErrorCode {
  ok = 0,
  invalid_argument,     // the caller passed something malformed (a bad time, an empty text)
  not_found,            // no such post, workflow, account or person
  permission_denied,    // the person lacks the role, or is the author (four eyes)
  failed_precondition,  // the post is in a state that does not allow this
  config,               // the YAML configuration is invalid
  plugin,               // a plugin could not be loaded or refused its configuration
  store,                // the database cannot be opened, is not Herald's, or is corrupt
  internal,
};

/// Process exit code for an error code, as documented in docs/cli.md.
constexpr int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return 0;
    case ErrorCode::invalid_argument: return 2;
    case ErrorCode::config: return 3;
    case ErrorCode::plugin: return 4;
    case ErrorCode::store: return 5;
    case ErrorCode::not_found: return 6;
    case ErrorCode::permission_denied: return 7;
    case ErrorCode::failed_precondition: return 7;
    case ErrorCode::internal: return 1;
  }
  return 1;
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == ErrorCode::ok; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return exit_code_for(code_); }

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : content_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : content_(std::move(status)) {}  // NOLINT: implicit by design

  bool is_ok() const { return std::holds_alternative<T>(content_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(content_);
  }
  T& value() & { return std::get<T>(content_); }
  const T& value() const& { return std::get<T>(content_); }
  T&& value() && { return std::get<T>(std::move(content_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> content_;
};

}  // namespace herald

#endif  // HERALD_RESULT_HPP
