// `herald text`: counts JSON lines of text as a network does. Lines are read in blocks and
// counted on every core; the results come out in input order. The common line
// {"text": "...", "spoiler_text": "..."} is read and its result written without a JSON library;
// any other line goes through nlohmann::json, which also words every error.
#include "cli/common.hpp"
#include "text/measure.hpp"

#include <nlohmann/json.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#include <thread>
#include <vector>

namespace herald {
namespace {

using nlohmann::json;

struct TextOptions {
  text::Network network = text::Network::x;
  int64_t limit = 0;
  bool json = false;
};

bool json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && json_space(s[i])) ++i;
  return i;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Four hex digits at s[i], or -1.
int32_t hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int d = hex_value(s[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// The JSON string that opens at s[i] (a quote), decoded into `out`; the position after it, or
/// npos for anything the full parser should judge (control characters, bad escapes, lone
/// surrogates). Bytes of 0x80 and up are copied: the text's UTF-8 is checked when it is counted.
/// Where the first quote, backslash or control character is in `s` from `i`, or s.size().
size_t string_end(std::string_view s, size_t i) {
#if defined(__SSE2__)
  // Sixteen bytes at a time: a control character is one that the minimum with 0x1F leaves as is.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                     _mm_cmpeq_epi8(_mm_min_epu8(bytes, control), bytes));
    const int found = _mm_movemask_epi8(stop);
    if (found != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(found)));
  }
#endif
  while (i < s.size() && s[i] != '"' && s[i] != '\\' && static_cast<unsigned char>(s[i]) >= 0x20)
    ++i;
  return i;
}

size_t read_string(std::string_view s, size_t i, std::string& out) {
  ++i;
  while (i < s.size()) {
    size_t run = string_end(s, i);
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) return std::string_view::npos;
    char c = s[i];
    if (c == '"') return i + 1;
    if (c != '\\') return std::string_view::npos;  // a control character
    if (++i >= s.size()) return std::string_view::npos;
    switch (s[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        int32_t unit = hex4(s, i + 1);
        if (unit < 0) return std::string_view::npos;
        i += 4;
        uint32_t code_point = static_cast<uint32_t>(unit);
        if (unit >= 0xDC00 && unit <= 0xDFFF) return std::string_view::npos;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u')
            return std::string_view::npos;
          int32_t low = hex4(s, i + 3);
          if (low < 0xDC00 || low > 0xDFFF) return std::string_view::npos;
          i += 6;
          code_point = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                       (static_cast<uint32_t>(low) - 0xDC00);
        }
        append_utf8(out, code_point);
        break;
      }
      default: return std::string_view::npos;
    }
    ++i;
  }
  return std::string_view::npos;
}

/// Reads a line that is an object of "text" and, optionally, "spoiler_text", both strings, each
/// once. False for any other line, which the full parser then reads.
bool read_simple_line(std::string_view line, std::string& text, std::string& spoiler) {
  size_t i = skip_space(line, 0);
  if (i >= line.size() || line[i] != '{') return false;
  bool have_text = false, have_spoiler = false;
  while (true) {
    i = skip_space(line, i + 1);
    if (i >= line.size() || line[i] != '"') return false;
    std::string_view rest = line.substr(i);
    std::string* target = nullptr;
    if (rest.substr(0, 6) == "\"text\"" && !have_text) {
      target = &text;
      have_text = true;
      i += 6;
    } else if (rest.substr(0, 14) == "\"spoiler_text\"" && !have_spoiler) {
      target = &spoiler;
      have_spoiler = true;
      i += 14;
    } else {
      return false;
    }
    i = skip_space(line, i);
    if (i >= line.size() || line[i] != ':') return false;
    i = skip_space(line, i + 1);
    if (i >= line.size() || line[i] != '"') return false;
    i = read_string(line, i, *target);
    if (i == std::string_view::npos) return false;
    i = skip_space(line, i);
    if (i >= line.size()) return false;
    if (line[i] == '}') break;
    if (line[i] != ',') return false;
  }
  return have_text && skip_space(line, i + 1) == line.size();
}

/// `s` as a JSON string, as nlohmann::json writes it (UTF-8 kept, control characters escaped).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t run = string_end(s, i);
    out.append(s.data() + i, run - i);
    if (run >= s.size()) break;
    char c = s[run];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[(c >> 4) & 0xF];
        out += kHex[c & 0xF];
      }
    }
    i = run + 1;
  }
  out += '"';
}

void append_number(std::string& out, int64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

/// Numbers and fixed words written into a buffer on the stack, then appended at once: for the
/// parts of a result whose length has a bound.
class Fields {
 public:
  Fields& operator<<(std::string_view s) {
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
    return *this;
  }
  Fields& operator<<(int64_t value) {
    at_ = std::to_chars(at_, buffer_ + sizeof buffer_, value).ptr;
    return *this;
  }
  void append_to(std::string& out) const {
    out.append(buffer_, static_cast<size_t>(at_ - buffer_));
  }

 private:
  char buffer_[320];  // eight numbers of at most 20 digits and the keys
  char* at_ = buffer_;
};

/// One result as a JSON object, its keys in the order nlohmann::json sorts them.
void append_result(std::string& out, const text::Measure& m, std::string_view text) {
  const bool x = m.network == text::Network::x;
  Fields head;
  (head << "{\"bytes\":" << m.bytes).append_to(out);
  if (m.network == text::Network::linkedin) {
    out += ",\"commentary\":";
    append_json_string(out, text::escape_little_text(std::string(text)));
  }
  if (m.network == text::Network::bluesky) {
    out += ",\"facets\":[";
    for (size_t i = 0; i < m.facets.size(); ++i) {
      const auto& f = m.facets[i];
      out += i == 0 ? "{\"byteEnd\":" : ",{\"byteEnd\":";
      append_number(out, static_cast<int64_t>(f.byte_end));
      out += ",\"byteStart\":";
      append_number(out, static_cast<int64_t>(f.byte_start));
      out += ",\"type\":";
      append_json_string(out, text::bluesky::facet_type_name(f.type));
      out += ",\"value\":";
      append_json_string(out, f.value);
      out += '}';
    }
    out += ']';
  }
  Fields tail;
  if (m.network == text::Network::mastodon || m.network == text::Network::bluesky)
    tail << ",\"graphemes\":" << m.graphemes;
  // Network names are plain ASCII words: no escaping.
  tail << ",\"length\":" << m.length << ",\"limit\":" << m.limit << ",\"network\":\""
       << text::network_name(m.network) << "\"";
  if (x) tail << ",\"permillage\":" << m.permillage;
  tail << (m.valid ? ",\"valid\":true" : ",\"valid\":false");
  if (x)
    tail << ",\"validRangeEnd\":" << m.valid_range_end
         << ",\"weightedLength\":" << m.weighted_length;
  (tail << "}\n").append_to(out);
}

void append_summary(std::string& out, int64_t number, const text::Measure& m) {
  out += "line ";
  append_number(out, number);
  out += ": ";
  append_number(out, m.length);
  out += '/';
  append_number(out, m.limit);
  out += m.valid ? " ok\n" : " too long or invalid\n";
}

/// A line the fast reader left alone: read with nlohmann::json, which also words its errors.
bool count_parsed_line(const TextOptions& o, const std::string& line, int64_t number,
                       std::string& out) {
  std::string error;
  try {
    json input = json::parse(line);
    if (!input.is_object() || !input.contains("text") || !input["text"].is_string())
      throw std::invalid_argument("expected an object with a string \"text\"");
    std::string spoiler;
    if (input.contains("spoiler_text") && input["spoiler_text"].is_string())
      spoiler = input["spoiler_text"].get<std::string>();
    const std::string text = input["text"].get<std::string>();
    auto measured = text::measure(o.network, text, o.limit, spoiler, /*count_graphemes=*/false);
    if (!measured) throw std::invalid_argument(measured.status().message());
    if (o.json)
      append_result(out, *measured, text);
    else
      append_summary(out, number, *measured);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (o.json) {
    // nlohmann's messages name the byte; ours name the line.
    out += json{{"line", number}, {"error", error}}.dump(-1, ' ', false,
                                                         json::error_handler_t::replace);
    out += '\n';
  } else {
    out += "line " + std::to_string(number) + ": error: " + error + "\n";
  }
  return false;
}

/// Counts one line into `out`; false when it is an error.
bool count_line(const TextOptions& o, std::string_view line, int64_t number, std::string& out,
                std::string& text, std::string& spoiler) {
  if (line.empty() || line == "\r") return true;
  text.clear();
  spoiler.clear();
  if (read_simple_line(line, text, spoiler)) {
    auto measured = text::measure(o.network, text, o.limit, spoiler, /*count_graphemes=*/false);
    if (measured) {
      if (o.json)
        append_result(out, *measured, text);
      else
        append_summary(out, number, *measured);
      return true;
    }
    // Not UTF-8: the full parser refuses the line in its own words.
  }
  return count_parsed_line(o, std::string(line), number, out);
}

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
  int write_error = 0;     // errno when standard output failed
};

/// The workers' side: chunks to count, and which are done.
struct Pipeline {
  std::mutex mutex;
  std::condition_variable work_ready;  // a chunk was queued, or the run ends
  std::condition_variable block_done;
  std::deque<std::pair<Block*, size_t>> queue;
  bool closing = false;
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
    for (size_t i = c.first; i < c.last; ++i)
      if (!count_line(o, b.lines[i], b.lines_before + 1 + static_cast<int64_t>(i), c.out, text,
                      spoiler))
        c.any_error = true;
    bool block_done;
    {
      std::lock_guard lock(p.mutex);
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

  std::string_view next_read(Block& b) {
    const size_t carried = rest_.size();
    if (b.capacity < carried + kBlock) {
      b.capacity = carried + kBlock;
      b.bytes = std::make_unique_for_overwrite<char[]>(b.capacity);
    }
    std::memcpy(b.bytes.get(), rest_.data(), carried);
    size_t got = std::fread(b.bytes.get() + carried, 1, kBlock, in_);
    at_end_ = got < kBlock;
    return std::string_view(b.bytes.get(), carried + got);
  }

  std::FILE* in_;
  const char* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  size_t mapped_at_ = 0;
  std::string rest_;  // an unfinished line, carried to the next block
  bool at_end_ = false;
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
  for (unsigned t = 0; t < jobs; ++t) workers.emplace_back([&o, &p] { count_chunks(o, p); });
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
  Counted counted;
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
    spare_blocks.push_back(std::move(blocks.front()));
    blocks.pop_front();
  }
  stop();
  return counted;
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
  text->add_option("--network", settings->network, "x, mastodon, bluesky or linkedin")
      ->capture_default_str();
  text->add_option("--limit", settings->limit, "the account's limit (default: the network's)");
  text->add_option("--jobs,-j", settings->jobs,
                   "threads that count (default: one per core; results stay in input order)");
  text->add_option("FILE", settings->input, "JSON lines to read (default: standard input)");
  text->add_flag("--json", settings->json, "print one JSON object per line");
  text->callback([settings, &exit_code] {
    auto network = text::parse_network(settings->network);
    if (failed(network, exit_code)) return;
    std::FILE* in = stdin;
    if (!settings->input.empty()) {
      in = std::fopen(settings->input.c_str(), "rb");
      if (!in) {
        std::cerr << "error: cannot read " << settings->input << "\n";
        exit_code = 2;
        return;
      }
    }
    TextOptions options{*network, settings->limit, settings->json};
    // Each block's buffers are freed and made again: keep them on the heap rather than have
    // them faulted in anew, block after block.
    keep_heap_between_rounds();
    unsigned jobs = settings->jobs > 0 ? settings->jobs : std::thread::hardware_concurrency();
    Counted counted = count_stream(options, in, std::max(1u, jobs));
    if (in != stdin) std::fclose(in);
    if (counted.write_error != 0) {
      std::cerr << "error: cannot write the results: " << std::strerror(counted.write_error)
                << "\n";
      exit_code = 1;
    } else if (counted.any_error) {
      exit_code = 2;
    }
  });
}

}  // namespace herald
