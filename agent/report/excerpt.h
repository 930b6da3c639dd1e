// The log excerpt a failure report carries (SPEC §7): the failing step's own output, then the
// system log lines that mention `cloud-init` or `nodeboot`, newest last, at most 200 lines and
// 64 KiB. The system log is read backwards from its end in blocks, so the cost depends on how
// far back the wanted lines are, not on the size of the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::report {

struct ExcerptLimits {
  size_t max_lines = 200;
  size_t max_bytes = 64 * 1024;  // line bytes, without the newlines
};

// What reading the system log cost: tests and `nodeboot logs` show it.
struct ExcerptStats {
  std::string source;               // the file read (a host path), "journalctl", or "" when none
  uint64_t file_bytes = 0;          // the file's size
  uint64_t bytes_read = 0;          // how much of it was read
  bool scan_limit_reached = false;  // stopped at ScanOptions::max_scan_bytes
  std::string problem;              // why the source could not be read, "" when it could
};

struct ScanOptions {
  ExcerptLimits limits;
  size_t block_bytes = 64 * 1024;
  // A log with few relevant lines would otherwise be read to its start: the lines of this
  // boot's bootstrap are near the end, so the scan stops this far back.
  uint64_t max_scan_bytes = 32ull << 20;
  // A line longer than this cannot fit an excerpt line usefully; it is skipped.
  size_t max_line_bytes = 16 * 1024;
};

// True for the lines the excerpt keeps: those that mention cloud-init or nodeboot.
bool IsRelevantLine(std::string_view line);

// The relevant lines at the end of `file`, oldest first, within `options.limits`: read
// backwards in blocks of `options.block_bytes`, stopping as soon as the limits are met (the
// newest lines win) or `max_scan_bytes` were read. `stats` (optional) gets the cost.
Result<std::vector<std::string>> TailRelevantLines(const std::filesystem::path& file, const ScanOptions& options,
                                                   ExcerptStats* stats);

// The relevant lines of `text` (journalctl's output), oldest first, within `limits`.
std::vector<std::string> LastRelevantLines(std::string_view text, const ExcerptLimits& limits);

// The system log part of the excerpt: /var/log/messages, else /var/log/syslog (both under the
// root), else - only when the root is "/" and `runner` is given - the journal via journalctl.
// An unreadable log yields no lines (and says why in `stats->problem`): the excerpt is
// evidence for a report, never a reason to fail one.
std::vector<std::string> SystemLogLines(const Paths& paths, CommandRunner* runner, const ExcerptLimits& limits,
                                        ExcerptStats* stats);

// The excerpt: the tail of the step's own output (at most half of each limit, so the system
// log always has room), then the newest system log lines that still fit.
std::vector<std::string> ComposeExcerpt(const std::vector<std::string>& step_output,
                                        const std::vector<std::string>& system_lines, const ExcerptLimits& limits);

}  // namespace nodeboot::report
