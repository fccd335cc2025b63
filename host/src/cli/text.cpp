// `herald text`: counts JSON lines of text as a network does. Lines are read in blocks and
// counted on every core (cli/text_line.cpp counts one); the results come out in input order.
#include "cli/common.hpp"
#include "cli/text_line.hpp"
#include "text/measure.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace herald {
namespace {

/// A run of lines of one block, counted by whichever worker takes it, and what it printed.
/// One cache line each, so that threads writing neighbouring chunks do not share one.
struct alignas(64) Chunk {
  size_t first = 0;  // the block's lines [first, last)
  size_t last = 0;
  std::string out;
  bool any_error = false;
};

/// Input read in one go: whole lines only (an unfinished last line waits for the next block).
struct Block {
  std::unique_ptr<char[]> bytes;  // the lines' bytes, unless they are in a mapped file
  size_t capacity = 0;
  std::vector<std::string_view> lines;
  int64_t lines_before = 0;
  std::unique_ptr<Chunk[]> chunks;
  size_t chunk_capacity = 0;
  size_t chunk_count = 0;
  size_t chunks_left = 0;  // not counted yet; guarded by Pipeline::mutex
};

/// Writes `parts` to standard output, as many as one system call takes at a time; false when
/// standard output fails (a closed pipe, a full disk), with errno saying why.
bool write_all(std::vector<iovec>& parts) {
  size_t first = 0;
  while (first < parts.size()) {
    const int batch = static_cast<int>(std::min<size_t>(parts.size() - first, IOV_MAX));
    ssize_t written = ::writev(STDOUT_FILENO, parts.data() + first, batch);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    // Skip what was written, part by part; a part written in half keeps its rest.
    auto left = static_cast<size_t>(written);
    while (first < parts.size() && left >= parts[first].iov_len) left -= parts[first++].iov_len;
    if (first < parts.size() && left > 0) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
  return true;
}

/// How a run of `herald text` went.
struct Counted {
  bool any_error = false;  // some line was not a text (exit code 2)
  std::string failure;     // why counting stopped early (the lines before are written)
  int64_t lines_written = 0;
  int write_error = 0;   // errno when standard output failed
  int read_error = 0;    // errno when the input could not be read to its end
  unsigned threads = 0;  // workers that counted
};

/// The workers' side: chunks to count, and which are done.
struct Pipeline {
  std::mutex mutex;
  std::condition_variable work_ready;  // a chunk was queued, or the run ends
  std::condition_variable block_done;
  std::deque<std::pair<Block*, size_t>> queue;
  bool closing = false;
  std::string failure;  // why a worker could not count its chunk (out of memory)
};

void count_chunks(const TextOptions& o, Pipeline& p) {
  std::string text, spoiler;
  while (true) {
    std::pair<Block*, size_t> task;
    {
      std::unique_lock lock(p.mutex);
      p.work_ready.wait(lock, [&] { return p.closing || !p.queue.empty(); });
      if (p.queue.empty()) return;
      task = p.queue.front();
      p.queue.pop_front();
    }
    Block& b = *task.first;
    Chunk& c = b.chunks[task.second];
    std::string failure;
    try {
      for (size_t i = c.first; i < c.last; ++i)
        if (!count_text_line(o, b.lines[i], b.lines_before + 1 + static_cast<int64_t>(i), c.out,
                             text, spoiler))
          c.any_error = true;
    } catch (const std::bad_alloc&) {
      failure = "out of memory";
    } catch (const std::exception& e) {
      failure = e.what();
    }
    bool block_done;
    {
      std::lock_guard lock(p.mutex);
      if (!failure.empty() && p.failure.empty()) p.failure = failure;
      block_done = --b.chunks_left == 0;
    }
    if (block_done) p.block_done.notify_one();
  }
}

/// The input, a block of whole lines at a time. A regular file is mapped, its pages brought in
/// at once, and its lines read in place; anything else (a pipe, a terminal) is read into the
/// block's own buffer, an unfinished last line carried over to the next block.
class LineSource {
 public:
  static constexpr size_t kBlock = size_t{1} << 20;

  explicit LineSource(std::FILE* in) : in_(in) {
    struct stat info {};
    if (fstat(fileno(in), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size <= 0) return;
    void* m = mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ,
                   MAP_PRIVATE | MAP_POPULATE, fileno(in), 0);
    if (m == MAP_FAILED) return;
    mapped_ = static_cast<const char*>(m);
    mapped_size_ = static_cast<size_t>(info.st_size);
  }
  ~LineSource() {
    if (mapped_) munmap(const_cast<char*>(mapped_), mapped_size_);
  }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  bool at_end() const { return at_end_; }
  /// errno of a failed read (0: none); the input then ended there.
  int read_error() const { return read_error_; }

  /// Fills `b` with the next lines (about kBlock bytes of them): none only at the end.
  void next(Block& b) {
    b.lines.clear();
    while (!at_end_ && b.lines.empty()) {
      std::string_view data = mapped_ ? next_mapped() : next_read(b);
      size_t start = 0;
      for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1)
        b.lines.emplace_back(data.data() + start, nl - start);
      if (at_end_ && start < data.size()) {
        b.lines.emplace_back(data.data() + start, data.size() - start);
        start = data.size();
      }
      // Not one whole line in a block (a line longer than one) reads on with all of it.
      if (!mapped_) rest_.assign(data.substr(start));
    }
  }

 private:
  std::string_view next_mapped() {
    size_t end = std::min(mapped_size_, mapped_at_ + kBlock);
    if (end < mapped_size_) {
      const void* nl = std::memchr(mapped_ + end, '\n', mapped_size_ - end);
      end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - mapped_) + 1 : mapped_size_;
    }
    std::string_view data(mapped_ + mapped_at_, end - mapped_at_);
    mapped_at_ = end;
    at_end_ = mapped_at_ >= mapped_size_;
    return data;
  }

  /// Reads on until the block holds a whole line (or the input ends). A line longer than a
  /// block grows the buffer by doubling it, so a long line is copied a few times in all rather
  /// than once per block read.
  std::string_view next_read(Block& b) {
    size_t have = rest_.size();
    reserve(b, have + kBlock, have == 0 ? nullptr : rest_.data(), have);
    rest_.clear();
    while (true) {
      const size_t got = std::fread(b.bytes.get() + have, 1, kBlock, in_);
      have += got;
      if (got < kBlock) {
        if (std::ferror(in_)) read_error_ = errno != 0 ? errno : EIO;
        at_end_ = true;
        break;
      }
      if (std::memchr(b.bytes.get() + have - got, '\n', got)) break;
      if (b.capacity < have + kBlock)
        reserve(b, std::max(have + kBlock, 2 * b.capacity), b.bytes.get(), have);
    }
    return std::string_view(b.bytes.get(), have);
  }

  /// Gives `b` room for `size` bytes, its first `keep` bytes copied from `from`.
  static void reserve(Block& b, size_t size, const char* from, size_t keep) {
    if (b.capacity >= size) {
      if (from && from != b.bytes.get()) std::memcpy(b.bytes.get(), from, keep);
      return;
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(size);
    if (from) std::memcpy(bigger.get(), from, keep);
    b.bytes = std::move(bigger);
    b.capacity = size;
  }

  std::FILE* in_;
  const char* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  size_t mapped_at_ = 0;
  std::string rest_;  // an unfinished line, carried to the next block
  bool at_end_ = false;
  int read_error_ = 0;
};

/// Cuts `b`'s lines into chunks of about `chunk_bytes`, reusing its chunks and their output
/// buffers (and those in `spare`): touching fresh memory costs a page fault per page, which is
/// dear on a virtual machine.
void cut_into_chunks(Block& b, size_t chunk_bytes, std::vector<std::string>& spare) {
  std::vector<size_t> ends;
  for (size_t i = 0; i < b.lines.size();) {
    for (size_t bytes = 0; i < b.lines.size() && bytes < chunk_bytes; ++i)
      bytes += b.lines[i].size() + 1;
    ends.push_back(i);
  }
  if (b.chunk_capacity < ends.size()) {
    for (size_t k = 0; k < b.chunk_capacity; ++k) spare.push_back(std::move(b.chunks[k].out));
    b.chunks = std::make_unique<Chunk[]>(ends.size());
    b.chunk_capacity = ends.size();
  }
  b.chunk_count = ends.size();
  for (size_t k = 0; k < b.chunk_count; ++k) {
    Chunk& c = b.chunks[k];
    c.first = k == 0 ? 0 : ends[k - 1];
    c.last = ends[k];
    c.any_error = false;
    if (c.out.capacity() == 0 && !spare.empty()) {
      c.out = std::move(spare.back());
      spare.pop_back();
    }
    c.out.clear();
    c.out.reserve(chunk_bytes / 2);  // results take about a third of their input
  }
}

/// Counts every line of `in` on `jobs` worker threads. This thread reads the input in blocks
/// of whole lines, cuts each block into chunks of about the same size for the workers, and
/// writes each block's results, in input order, once all its chunks are counted; it reads the
/// next block while the workers count the one before, so they never wait for input.
Counted count_stream(const TextOptions& o, std::FILE* in, unsigned jobs) {
  std::fflush(stdout);  // results go straight to its file descriptor
  constexpr size_t kChunkBytes = size_t{32} << 10;
  constexpr size_t kBlocksAhead = 2;

  Pipeline p;
  std::vector<std::thread> workers;
  // Fewer threads than asked for (a process or memory limit) still count everything; none at
  // all is an error the caller reports.
  try {
    for (unsigned t = 0; t < jobs; ++t) workers.emplace_back([&o, &p] { count_chunks(o, p); });
  } catch (const std::system_error&) {
  }
  Counted counted;
  counted.threads = static_cast<unsigned>(workers.size());
  if (workers.empty()) return counted;
  auto stop = [&] {
    {
      std::lock_guard lock(p.mutex);
      p.closing = true;
      p.queue.clear();
    }
    p.work_ready.notify_all();
    for (auto& w : workers) w.join();
  };

  LineSource source(in);
  std::deque<std::unique_ptr<Block>> blocks;         // read, not yet written
  std::vector<std::unique_ptr<Block>> spare_blocks;  // written, to be read into again
  std::vector<std::string> spare_outputs;
  std::vector<iovec> parts;
  int64_t lines_read = 0;
  while (!source.at_end() || !blocks.empty()) {
    if (!source.at_end() && blocks.size() < kBlocksAhead) {
      std::unique_ptr<Block> b;
      if (spare_blocks.empty()) {
        b = std::make_unique<Block>();
      } else {
        b = std::move(spare_blocks.back());
        spare_blocks.pop_back();
      }
      source.next(*b);
      b->lines_before = lines_read;
      lines_read += static_cast<int64_t>(b->lines.size());
      cut_into_chunks(*b, kChunkBytes, spare_outputs);
      {
        std::lock_guard lock(p.mutex);
        b->chunks_left = b->chunk_count;
        for (size_t k = 0; k < b->chunk_count; ++k) p.queue.emplace_back(b.get(), k);
      }
      p.work_ready.notify_all();
      blocks.push_back(std::move(b));
      continue;
    }
    // Write the oldest block once it is counted.
    Block& front = *blocks.front();
    {
      std::unique_lock lock(p.mutex);
      p.block_done.wait(lock, [&] { return front.chunks_left == 0; });
      if (!p.failure.empty()) counted.failure = p.failure;
    }
    if (!counted.failure.empty()) {
      stop();
      return counted;
    }
    parts.clear();
    for (size_t k = 0; k < front.chunk_count; ++k) {
      Chunk& c = front.chunks[k];
      counted.any_error = counted.any_error || c.any_error;
      if (!c.out.empty()) parts.push_back({c.out.data(), c.out.size()});
    }
    if (!write_all(parts)) {
      counted.write_error = errno;
      stop();
      return counted;
    }
    counted.lines_written += static_cast<int64_t>(front.lines.size());
    spare_blocks.push_back(std::move(blocks.front()));
    blocks.pop_front();
  }
  stop();
  counted.read_error = source.read_error();
  return counted;
}

/// How many counting threads fit in the address space the process may use (`ulimit -v`):
/// each takes a stack and a share of malloc's arenas, and past the limit a thread can fail where
/// no program can recover (glibc aborts when it cannot register a thread's destructors). Under
/// a limit, threads share two arenas, and each is given 16 MiB of half the limit.
unsigned affordable_threads(unsigned wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  mallopt(M_ARENA_MAX, 2);
  const rlim_t per_thread = rlim_t{16} << 20;
  const rlim_t fits = limit.rlim_cur / 2 / per_thread;
  return static_cast<unsigned>(std::clamp<rlim_t>(fits, 1, wanted));
}

}  // namespace

void add_text_command(CLI::App& app, int& exit_code) {
  auto* text = app.add_subcommand(
      "text", "Count texts as a network does: JSON lines {\"text\": ...} in, one result per line.");
  struct Settings {
    std::string network = "x";
    std::string input;
    int64_t limit = 0;
    bool json = false;
    unsigned jobs = 0;
  };
  auto settings = std::make_shared<Settings>();
  text->add_option("--network", settings->network,
                   "x (or twitter), mastodon, bluesky, linkedin, or plain (code points, no limit)")
      ->capture_default_str();
  text->add_option("--limit", settings->limit, "the account's limit (default: the network's)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  text->add_option("--jobs,-j", settings->jobs,
                   "threads that count (default: one per core; results stay in input order)")
      ->check(CLI::Range(1u, 256u));
  text->add_option("FILE", settings->input, "JSON lines to read (default, or -: standard input)");
  text->add_flag("--json", settings->json, "print one JSON object per line");
  text->callback([settings, &exit_code] {
    auto network = text::parse_network(settings->network);
    if (failed(network, exit_code)) return;
    std::FILE* in = stdin;
    if (settings->input == "-") settings->input.clear();
    if (!settings->input.empty()) {
      in = std::fopen(settings->input.c_str(), "rb");
      struct stat info {};
      const int open_error = in ? 0 : errno;
      if (in && fstat(fileno(in), &info) == 0 && S_ISDIR(info.st_mode)) {
        std::fclose(in);
        std::cerr << "error: " << settings->input
                  << " is a folder: give a file of JSON lines, or - for standard input\n";
        exit_code = 2;
        return;
      }
      if (!in) {
        std::cerr << "error: cannot read " << settings->input << ": " << std::strerror(open_error)
                  << "\n";
        exit_code = 2;
        return;
      }
    }
    TextOptions options{*network, settings->limit, settings->json};
    // Each block's buffers are freed and made again: keep them on the heap rather than have
    // them faulted in anew, block after block.
    keep_heap_between_rounds();
    unsigned jobs =
        std::max(1u, settings->jobs > 0 ? settings->jobs : std::thread::hardware_concurrency());
    if (const unsigned affordable = affordable_threads(jobs); affordable < jobs) {
      if (settings->jobs > 0)
        std::cerr << "note: counting with " << affordable << " threads, not " << jobs
                  << ": the address-space limit (ulimit -v) allows no more\n";
      jobs = affordable;
    }
    Counted counted = count_stream(options, in, jobs);
    if (in != stdin) std::fclose(in);
    if (counted.threads == 0) {
      std::cerr << "error: cannot start a thread to count with (" << jobs
                << " asked for): lower --jobs, or raise the process or memory limit\n";
      exit_code = 1;
    } else if (!counted.failure.empty()) {
      std::cerr << "error: counting stopped at line " << counted.lines_written + 1 << ": "
                << counted.failure << " (" << counted.threads
                << (counted.threads == 1 ? " thread" : " threads")
                << "; the lines before it are written): lower --jobs, or raise the memory "
                   "limit\n";
      exit_code = 1;
    } else if (counted.read_error != 0) {
      std::cerr << "error: cannot read "
                << (settings->input.empty() ? "standard input" : settings->input)
                << " to its end: " << std::strerror(counted.read_error) << "\n";
      exit_code = 1;
    } else if (counted.write_error != 0) {
      std::cerr << "error: cannot write the results: " << std::strerror(counted.write_error)
                << "\n";
      exit_code = 1;
    } else if (counted.any_error) {
      exit_code = 2;
    }
  });
}

}  // namespace herald
