#include "agent/report/excerpt.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>

namespace nodeboot::report {
namespace {

// journalctl is asked for this many of the newest journal lines; the relevant ones are then
// picked from them (its own --grep needs a PCRE build that not every image has).
constexpr const char* kJournalLines = "--lines=20000";

struct CaseInsensitiveHash {
  size_t operator()(char c) const { return std::hash<int>()(std::tolower(static_cast<unsigned char>(c))); }
};
struct CaseInsensitiveEqual {
  bool operator()(char a, char b) const {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  }
};
using Searcher =
    std::boyer_moore_horspool_searcher<std::string_view::const_iterator, CaseInsensitiveHash, CaseInsensitiveEqual>;

bool Contains(std::string_view line, const Searcher& searcher) {
  return std::search(line.begin(), line.end(), searcher) != line.end();
}

// Newest-first accumulation of lines under the limits; `Take` says when they are met.
class Collector {
 public:
  Collector(const ExcerptLimits& limits, size_t max_line_bytes) : limits_(limits), max_line_(max_line_bytes) {}

  // False once no further (older) line may be added: the line limit is reached, or this line
  // does not fit the byte limit (the excerpt stays a contiguous run of the newest lines).
  bool Take(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.size() > max_line_ || !IsRelevantLine(line)) return true;
    if (bytes_ + line.size() > limits_.max_bytes) {
      full_ = true;
      return false;
    }
    newest_first_.emplace_back(line);
    bytes_ += line.size();
    full_ = newest_first_.size() >= limits_.max_lines;
    return !full_;
  }
  bool full() const { return full_ || limits_.max_lines == 0; }
  std::vector<std::string> OldestFirst() && {
    std::reverse(newest_first_.begin(), newest_first_.end());
    return std::move(newest_first_);
  }

 private:
  ExcerptLimits limits_;
  size_t max_line_;
  std::vector<std::string> newest_first_;
  size_t bytes_ = 0;
  bool full_ = false;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ReadFully(int fd, char* buffer, size_t size, uint64_t offset, const std::filesystem::path& file) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buffer + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Error::Internal(fmt::format("read {}: {}", file.string(), std::strerror(errno)));
    }
    if (n == 0) return Error::Internal(fmt::format("read {}: the file shrank while it was read", file.string()));
    done += static_cast<size_t>(n);
  }
  return Ok();
}

// The last lines of `lines` within `limits`, oldest first. When even the newest line alone is
// over the byte limit, its last bytes are kept: the end of an error message says the most.
std::vector<std::string> TailWithin(const std::vector<std::string>& lines, const ExcerptLimits& limits,
                                    size_t* used_bytes) {
  std::vector<std::string> newest_first;
  size_t bytes = 0;
  for (auto it = lines.rbegin(); it != lines.rend() && newest_first.size() < limits.max_lines; ++it) {
    std::string_view line = *it;
    if (bytes + line.size() > limits.max_bytes) {
      if (!newest_first.empty()) break;
      line = line.substr(line.size() - limits.max_bytes);
    }
    newest_first.emplace_back(line);
    bytes += line.size();
  }
  std::reverse(newest_first.begin(), newest_first.end());
  if (used_bytes) *used_bytes = bytes;
  return newest_first;
}

}  // namespace

bool IsRelevantLine(std::string_view line) {
  static const std::string_view kCloudInit = "cloud-init";
  static const std::string_view kNodeboot = "nodeboot";
  static const Searcher cloud_init(kCloudInit.begin(), kCloudInit.end());
  static const Searcher nodeboot(kNodeboot.begin(), kNodeboot.end());
  return Contains(line, cloud_init) || Contains(line, nodeboot);
}

Result<std::vector<std::string>> TailRelevantLines(const std::filesystem::path& file, const ScanOptions& options,
                                                   ExcerptStats* stats) {
  ExcerptStats ignored;
  ExcerptStats& s = stats ? *stats : ignored;
  s = ExcerptStats{};
  s.source = file.string();
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Error::Internal(fmt::format("open {}: {}", file.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Error::Internal(fmt::format("stat {}: {}", file.string(), std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return Error::Internal(fmt::format("{} is not a regular file", file.string()));
  }
  s.file_bytes = static_cast<uint64_t>(st.st_size);

  Collector collector(options.limits, options.max_line_bytes);
  std::vector<char> block(std::max<size_t>(options.block_bytes, 1));
  // `carry` is the end of a line whose start lies in an earlier (not yet read) block.
  std::string carry;
  bool carry_too_long = false;
  uint64_t offset = s.file_bytes;
  while (offset > 0 && !collector.full()) {
    if (s.bytes_read >= options.max_scan_bytes) {
      s.scan_limit_reached = true;
      break;
    }
    const size_t size = static_cast<size_t>(std::min<uint64_t>(block.size(), offset));
    offset -= size;
    NB_TRY(ReadFully(fd.get(), block.data(), size, offset, file));
    s.bytes_read += size;

    size_t end = size;  // block[0, end) is not yet split into lines
    while (!collector.full()) {
      const void* found = ::memrchr(block.data(), '\n', end);
      if (found == nullptr) break;
      const size_t newline = static_cast<size_t>(static_cast<const char*>(found) - block.data());
      const std::string_view piece(block.data() + newline + 1, end - newline - 1);
      if (carry.empty() && !carry_too_long) {
        collector.Take(piece);
      } else if (!carry_too_long) {
        collector.Take(std::string(piece) + carry);
      }
      carry.clear();
      carry_too_long = false;
      end = newline;
    }
    if (collector.full()) break;
    if (!carry_too_long) {
      // One byte over the line limit still fits: a CRLF line's '\r', which Take() strips.
      // Without it, such a line was skipped when it crossed a block boundary and kept when
      // it did not, so the excerpt depended on the block size.
      if (end + carry.size() > options.max_line_bytes + 1) {
        carry_too_long = true;
        carry.clear();
      } else {
        carry.insert(0, block.data(), end);
      }
    }
  }
  // The file's first line has no newline before it.
  if (offset == 0 && !collector.full() && !carry_too_long && !s.scan_limit_reached) {
    collector.Take(carry);
  }
  return std::move(collector).OldestFirst();
}

std::vector<std::string> LastRelevantLines(std::string_view text, const ExcerptLimits& limits) {
  Collector collector(limits, limits.max_bytes);
  size_t end = text.size();
  while (end > 0 && !collector.full()) {
    const size_t newline = text.rfind('\n', end - 1);
    const size_t start = newline == std::string_view::npos ? 0 : newline + 1;
    collector.Take(text.substr(start, end - start));
    if (newline == std::string_view::npos) break;
    end = newline;
  }
  return std::move(collector).OldestFirst();
}

std::vector<std::string> SystemLogLines(const Paths& paths, CommandRunner* runner, const ExcerptLimits& limits,
                                        ExcerptStats* stats) {
  ExcerptStats ignored;
  ExcerptStats& s = stats ? *stats : ignored;
  s = ExcerptStats{};
  ScanOptions options;
  options.limits = limits;
  for (std::string_view log : {"/var/log/messages", "/var/log/syslog"}) {
    const auto file = paths.Host(log);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) continue;
    auto lines = TailRelevantLines(file, options, &s);
    if (!lines) {
      s.problem = lines.error().message;
      return {};
    }
    return std::move(*lines);
  }
  // The journal belongs to this host: with another root it would describe the wrong system.
  if (paths.root() != "/" || runner == nullptr) {
    s.problem = fmt::format("neither /var/log/messages nor /var/log/syslog exists under {}", paths.root().string());
    return {};
  }
  s.source = "journalctl";
  Command command;
  command.argv = {"journalctl", "--no-pager", "--quiet", "--output=short-iso", kJournalLines};
  command.timeout = std::chrono::seconds(20);
  command.kill_grace = std::chrono::seconds(2);
  command.capture_bytes = 8 << 20;
  command.changes_system = false;
  auto result = runner->Run(command);
  if (!result) {
    s.problem = result.error().message;
    return {};
  }
  s.bytes_read = result->out.size();
  if (!result->ok()) {
    s.problem = fmt::format("journalctl: {}", DescribeFailure(command, *result));
    return {};
  }
  return LastRelevantLines(result->out, limits);
}

std::vector<std::string> ComposeExcerpt(const std::vector<std::string>& step_output,
                                        const std::vector<std::string>& system_lines, const ExcerptLimits& limits) {
  const ExcerptLimits own_limits{limits.max_lines / 2, limits.max_bytes / 2};
  size_t own_bytes = 0;
  std::vector<std::string> excerpt = TailWithin(step_output, own_limits, &own_bytes);
  const ExcerptLimits rest{limits.max_lines - excerpt.size(), limits.max_bytes - own_bytes};
  for (auto& line : TailWithin(system_lines, rest, nullptr)) excerpt.push_back(std::move(line));
  return excerpt;
}

}  // namespace nodeboot::report
