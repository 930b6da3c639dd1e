// Logging: one call site style for the whole agent, three destinations (SPEC §8): stderr (for
// journald), /var/log/nodeboot/nodeboot.log under the root, and syslog with ident `nodeboot`
// so the lines land in /var/log/messages beside cloud-init's. Every line passes the Redactor
// first. logging.cc is the only spdlog user.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::log {

struct Options {
  // Dropped when syslog is on and stderr is the journal: journald already files the syslog
  // lines under the unit, and each line would be in the journal (and in a report's journal
  // excerpt) twice.
  bool to_stderr = true;
  std::filesystem::path file;  // empty: no file
  bool to_syslog = false;
};

// True when `journal_stream` (systemd's $JOURNAL_STREAM, "DEVICE:INODE") names the file that
// `fd` is open on: the way systemd documents to tell that an output goes to the journal.
bool IsJournalStream(const char* journal_stream, int fd);

// Replaces the destinations. Safe to call again (tests, dry-run after a config load).
void Init(const Options& options);
// From now on these values are masked in every line.
void SetSecrets(std::vector<std::string> secrets);

enum class Level { kDebug, kInfo, kWarn, kError };
void Write(Level level, std::string_view message);

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
