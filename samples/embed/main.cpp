// Embeds Herald in a program of its own: open a configuration, submit a post, approve it, run
// the engine on a virtual clock, and print where the post ended up.
//
//   embed CONFIG WORKFLOW ACCOUNT AUTHOR APPROVER "text"
#include <herald/host.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: embed CONFIG WORKFLOW ACCOUNT AUTHOR APPROVER TEXT\n";
    return 2;
  }
  herald::HostOptions options;
  options.clock = herald::make_virtual_clock(1'800'000'000'000);  // 2027-01-15
  auto host = herald::Host::open(argv[1], options);
  if (!host) {
    std::cerr << host.status().message() << "\n";
    return host.status().exit_code();
  }
  herald::SubmitRequest request;
  request.workflow = argv[2];
  request.account = argv[3];
  request.author = argv[4];
  request.text = argv[6];
  auto id = (*host)->submit(request);
  if (!id) {
    std::cerr << id.status().message() << "\n";
    return id.status().exit_code();
  }
  herald::RunOptions until_idle;  // on a virtual clock: until nothing is left to wake
  auto first = (*host)->run(until_idle);
  if (!first) {
    std::cerr << first.status().message() << "\n";
    return first.status().exit_code();
  }
  if (auto waiting = (*host)->post(*id); waiting && !waiting->expects.empty()) {
    if (auto approved = (*host)->approve(*id, argv[5], "approved from the embedding program");
        !approved) {
      std::cerr << approved.message() << "\n";
      return approved.exit_code();
    }
    if (auto second = (*host)->run(until_idle); !second) {
      std::cerr << second.status().message() << "\n";
      return second.status().exit_code();
    }
  }
  auto post = (*host)->post(*id);
  if (!post) {
    std::cerr << post.status().message() << "\n";
    return post.status().exit_code();
  }
  std::cout << "post " << post->id << ": " << post->state << " (" << post->reason << ")\n";
  return post->state == "done" ? 0 : 1;
}
