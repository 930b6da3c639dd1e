// Logging: one call site style for the whole agent, four destinations (SPEC §8):
// - stderr (a run by hand, a test; dropped under the unit, see Options::to_stderr);
// - /var/log/nodeboot/nodeboot.log under the root;
// - the system log: the journal natively when journald runs, with fields an operator filters on
//   (NODEBOOT_RUN_ID, NODEBOOT_PHASE, NODEBOOT_CODE, PRIORITY), else syslog(3); both with the
//   ident `nodeboot`, so the lines also land in /var/log/messages beside cloud-init's;
// - the console, for milestones only (Announce): phase starts and ends, failures, the result.
// Every line passes the Redactor first. logging.cc is the only spdlog user.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::log {

struct Options {
  // Dropped when the system log is on and stderr is the journal: each line would be in the
  // journal (and in a report's journal excerpt) twice.
  bool to_stderr = true;
  std::filesystem::path file = {};  // empty: no file
  bool to_system_log = false;
  // Where Announce also writes: /dev/console under nodeboot.service ($NODEBOOT_CONSOLE). Empty:
  // nowhere. Written without blocking: a stalled serial line loses a console line, never a run.
  std::filesystem::path console = {};
};

// True when `journal_stream` (systemd's $JOURNAL_STREAM, "DEVICE:INODE") names the file that
// `fd` is open on: the way systemd documents to tell that an output goes to the journal.
bool IsJournalStream(const char* journal_stream, int fd);

// Replaces the destinations. Safe to call again (tests, dry-run after a config load).
void Init(const Options& options);
// From now on these values are masked in every line.
void SetSecrets(std::vector<std::string> secrets);
// What the following lines belong to (journal fields NODEBOOT_RUN_ID, NODEBOOT_PHASE); empty
// clears.
void SetRunId(std::string run_id);
void SetPhase(std::string phase);

enum class Level { kDebug, kInfo, kWarn, kError };
void Write(Level level, std::string_view message);
// A milestone: logged as Write does, with `code` (an error code such as NB-STORAGE-UNSAFE-DISK,
// or empty) as NODEBOOT_CODE, and also written to the console.
void Announce(Level level, std::string_view code, std::string_view message);

// The journal entry of one line: "FIELD=value" strings for sd_journal_sendv. Pure; the fields
// are the contract README "Logs" documents.
struct Entry {
  Level level = Level::kInfo;
  std::string_view message = {};
  std::string_view run_id = {};
  std::string_view phase = {};
  std::string_view code = {};
};
std::vector<std::string> JournalFields(const Entry& entry);

template <typename... Args>
void Info(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kInfo, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Warn(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kWarn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace nodeboot::log
