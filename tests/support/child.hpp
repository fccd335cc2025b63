// A program a test starts and reads the standard output of; it is sent SIGTERM if the test
// process dies first.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace herald::testing {

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // the child's stdout; the caller closes it
};

/// Starts `argv` (the program is looked up on PATH unless it has a slash), with `env` added to
/// this process's environment.
inline Child spawn(std::vector<std::string> argv,
                   const std::vector<std::pair<std::string, std::string>>& env = {}) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  Child child;
  child.pid = fork();
  if (child.pid < 0) throw std::runtime_error("fork failed");
  if (child.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the test
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  child.out = fdopen(pipe_fds[0], "r");
  return child;
}

}  // namespace herald::testing
