// The adapter for spdlog.
#include "agent/base/logging.h"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "agent/base/atomic_file.h"
#include "agent/base/redact.h"
#include "agent/base/systemd_library.h"

namespace nodeboot::log {
namespace {

// journald's native socket (systemd-journald.socket): where sd_journal_sendv writes.
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

struct State {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
  Redactor redactor;
  // The journal, when the system log is on and journald runs; else the syslog sink is in
  // `logger`.
  const SystemdLibrary* journal = nullptr;
  std::filesystem::path console;
  std::string run_id;
  std::string phase;
};

State& Global() {
  static State state;
  return state;
}

// libsystemd when the journal can take native entries; null (syslog(3) then) when journald
// does not run (a container, a chroot) or libsystemd cannot be loaded.
const SystemdLibrary* JournalOrNull() {
  if (::access(kJournalSocket, W_OK) != 0) return nullptr;
  std::string error;
  const SystemdLibrary* library = LoadSystemdLibrary(error);
  if (library == nullptr)
    std::fprintf(stderr, "nodeboot: warn %s; logging to syslog instead of the journal\n", error.c_str());
  return library;
}

// The log holds every script's output, masked only for the secrets nodeboot knows; a script
// may print others (cloud-init's CVE-2023-1786 was this: world-readable logs). So the file is
// 0640, like Debian's /var/log/syslog, whoever made it first: an older nodeboot's 0644 file is
// tightened. Best effort: spdlog opens it right after and reports what fails.
void PrepareLogFile(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0007) != 0) {
    [[maybe_unused]] const int changed = ::fchmod(fd, st.st_mode & 0770);
  }
  ::close(fd);
}

std::shared_ptr<spdlog::logger> MakeLogger(const Options& options, bool to_journal) {
  std::vector<spdlog::sink_ptr> sinks;
  const bool stderr_is_journal = IsJournalStream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  if (options.to_stderr && !(options.to_system_log && stderr_is_journal)) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("nodeboot: %^%l%$ %v");
    sinks.push_back(sink);
  }
  if (!options.file.empty()) {
    // A log file that cannot be opened must not stop a bootstrap: stderr and syslog remain.
    if (const Status dir = CreateDirectories(options.file.parent_path(), std::filesystem::perms(0755)); !dir) {
      std::fprintf(stderr, "nodeboot: warn cannot open log file %s: %s\n", options.file.c_str(),
                   dir.error().message.c_str());
    } else {
      PrepareLogFile(options.file);
      try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file.string());
        sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ nodeboot[%P]: %l %v",
                                                                        spdlog::pattern_time_type::utc));
        sinks.push_back(sink);
      } catch (const spdlog::spdlog_ex& e) {
        std::fprintf(stderr, "nodeboot: warn cannot open log file %s: %s\n", options.file.c_str(), e.what());
      }
    }
  }
  if (options.to_system_log && !to_journal) {
    auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("nodeboot", LOG_PID, LOG_DAEMON, false);
    sink->set_pattern("%v");
    sinks.push_back(sink);
  }
  auto logger = std::make_shared<spdlog::logger>("nodeboot", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);  // a crash or kill must not lose the last lines
  return logger;
}

}  // namespace

bool IsJournalStream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  char trailing = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &trailing) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

namespace {

int Priority(Level level) {
  switch (level) {
    case Level::kDebug:
      return LOG_DEBUG;
    case Level::kInfo:
      return LOG_INFO;
    case Level::kWarn:
      return LOG_WARNING;
    case Level::kError:
      return LOG_ERR;
  }
  return LOG_INFO;
}

// One native journal entry. A failed send is not retried nor reported (there is nowhere left
// to report it): the log file still has the line.
void SendToJournal(const SystemdLibrary& journal, const Entry& entry) {
  const std::vector<std::string> fields = JournalFields(entry);
  std::vector<iovec> vectors;
  vectors.reserve(fields.size());
  for (const auto& field : fields) vectors.push_back({const_cast<char*>(field.data()), field.size()});
  journal.journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
}

// One line on the console, whole or not at all. O_NONBLOCK: a serial console that does not
// drain must not hold up the bootstrap; O_NOCTTY: nodeboot must not acquire a controlling tty.
void WriteToConsole(const std::filesystem::path& console, std::string_view message) {
  const int fd = ::open(console.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_APPEND | O_CLOEXEC | O_CREAT, 0600);
  if (fd < 0) return;
  const std::string line = fmt::format("nodeboot[{}]: {}\n", ::getpid(), message);
  [[maybe_unused]] const ssize_t written = ::write(fd, line.data(), line.size());
  ::close(fd);
}

void WriteLocked(Level level, std::string_view code, std::string_view message, bool console) {
  State& g = Global();
  if (!g.logger) g.logger = MakeLogger(Options{}, false);
  const std::string line = g.redactor.Redact(message);
  switch (level) {
    case Level::kDebug:
      g.logger->debug(line);
      break;
    case Level::kInfo:
      g.logger->info(line);
      break;
    case Level::kWarn:
      g.logger->warn(line);
      break;
    case Level::kError:
      g.logger->error(line);
      break;
  }
  if (g.journal != nullptr) {
    SendToJournal(*g.journal, {.level = level, .message = line, .run_id = g.run_id, .phase = g.phase, .code = code});
  }
  if (console && !g.console.empty()) WriteToConsole(g.console, line);
}

}  // namespace

std::vector<std::string> JournalFields(const Entry& entry) {
  std::vector<std::string> fields;
  // MESSAGE is one field even with newlines in it (the native protocol's length-prefixed form,
  // which sd_journal_sendv chooses by itself).
  fields.push_back(fmt::format("MESSAGE={}", entry.message));
  fields.push_back(fmt::format("PRIORITY={}", Priority(entry.level)));
  // What syslog(3) with ident "nodeboot", LOG_DAEMON would have said: `journalctl -t nodeboot`
  // and the lines forwarded to /var/log/messages stay as they were.
  fields.push_back("SYSLOG_IDENTIFIER=nodeboot");
  fields.push_back(fmt::format("SYSLOG_FACILITY={}", LOG_DAEMON >> 3));
  if (!entry.run_id.empty()) fields.push_back(fmt::format("NODEBOOT_RUN_ID={}", entry.run_id));
  if (!entry.phase.empty()) fields.push_back(fmt::format("NODEBOOT_PHASE={}", entry.phase));
  if (!entry.code.empty()) fields.push_back(fmt::format("NODEBOOT_CODE={}", entry.code));
  return fields;
}

void Init(const Options& options) {
  const SystemdLibrary* journal = options.to_system_log ? JournalOrNull() : nullptr;
  auto logger = MakeLogger(options, journal != nullptr);
  std::lock_guard lock(Global().mutex);
  Global().logger = std::move(logger);
  Global().journal = journal;
  Global().console = options.console;
}

void SetRunId(std::string run_id) {
  std::lock_guard lock(Global().mutex);
  Global().run_id = std::move(run_id);
}

void SetPhase(std::string phase) {
  std::lock_guard lock(Global().mutex);
  Global().phase = std::move(phase);
}

void SetSecrets(std::vector<std::string> secrets) {
  Redactor redactor(std::move(secrets));
  std::lock_guard lock(Global().mutex);
  Global().redactor = std::move(redactor);
}

void Write(Level level, std::string_view message) {
  std::lock_guard lock(Global().mutex);
  WriteLocked(level, {}, message, false);
}

void Announce(Level level, std::string_view code, std::string_view message) {
  std::lock_guard lock(Global().mutex);
  WriteLocked(level, code, message, true);
}

}  // namespace nodeboot::log
