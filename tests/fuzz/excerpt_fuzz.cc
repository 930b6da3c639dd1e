// The log excerpt (agent/report/excerpt.h) on arbitrary log text.
//   - TailRelevantLines (the backwards block reader) and LastRelevantLines (the in-memory
//     reader of journalctl's output) pick the same lines, whatever the block size: lines
//     crossing block boundaries, CRLF, empty and overlong lines, a first line without a
//     newline before it.
//   - The lines respect the limits, are relevant and hold no newline.
//   - ComposeExcerpt over the text's lines as step output stays within the limits.
// The first 4 bytes choose the block size and the limits; the rest is the log. The "file"
// is an anonymous memfd read through /proc/self/fd: nothing is written to any file system.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "agent/report/excerpt.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace nodeboot;

int LogFd() {
  static const int fd = ::memfd_create("nodeboot-fuzz-log", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  return fd;
}

void CheckWithin(const std::vector<std::string>& lines, const report::ExcerptLimits& limits) {
  FUZZ_CHECK(lines.size() <= limits.max_lines);
  size_t bytes = 0;
  for (const auto& line : lines) bytes += line.size();
  FUZZ_CHECK(bytes <= limits.max_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  report::ScanOptions options;
  options.block_bytes = 1 + data[0] % 64;
  options.limits.max_lines = data[1] % 16;
  options.limits.max_bytes = size_t{data[2]} * 4 + data[3] % 4;
  // LastRelevantLines skips lines longer than the byte limit; make the reader agree.
  options.max_line_bytes = options.limits.max_bytes;
  const std::string_view log = fuzz::AsText(data + 4, size - 4);

  const int fd = LogFd();
  FUZZ_CHECK(::ftruncate(fd, 0) == 0);
  FUZZ_CHECK(::pwrite(fd, log.data(), log.size(), 0) == static_cast<ssize_t>(log.size()));
  report::ExcerptStats stats;
  auto tail = report::TailRelevantLines("/proc/self/fd/" + std::to_string(fd), options, &stats);
  FUZZ_CHECK(tail.has_value());
  FUZZ_CHECK(stats.file_bytes == log.size() && stats.bytes_read <= log.size());

  const auto last = report::LastRelevantLines(log, options.limits);
  FUZZ_CHECK(*tail == last);
  CheckWithin(last, options.limits);
  for (const auto& line : last) {
    FUZZ_CHECK(report::IsRelevantLine(line));
    FUZZ_CHECK(line.find('\n') == std::string::npos);
  }

  const auto lines = fuzz::SplitLines(log);
  const auto excerpt =
      report::ComposeExcerpt(std::vector<std::string>(lines.begin(), lines.end()), last, options.limits);
  CheckWithin(excerpt, options.limits);
  return 0;
}
