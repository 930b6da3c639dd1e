// The adapter for spdlog.
#include "agent/base/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <memory>
#include <mutex>

#include "agent/base/atomic_file.h"
#include "agent/base/redact.h"

namespace nodeboot::log {
namespace {

struct State {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
  Redactor redactor;
};

State& Global() {
  static State state;
  return state;
}

std::shared_ptr<spdlog::logger> MakeLogger(const Options& options) {
  std::vector<spdlog::sink_ptr> sinks;
  const bool stderr_is_journal = IsJournalStream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  if (options.to_stderr && !(options.to_syslog && stderr_is_journal)) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("nodeboot: %^%l%$ %v");
    sinks.push_back(sink);
  }
  if (!options.file.empty()) {
    // A log file that cannot be opened must not stop a bootstrap: stderr and syslog remain.
    if (CreateDirectories(options.file.parent_path(), std::filesystem::perms(0755))) {
      try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file.string());
        sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
            "%Y-%m-%dT%H:%M:%S.%eZ nodeboot[%P]: %l %v", spdlog::pattern_time_type::utc));
        sinks.push_back(sink);
      } catch (const spdlog::spdlog_ex& e) {
        std::fprintf(stderr, "nodeboot: warn cannot open log file %s: %s\n", options.file.c_str(), e.what());
      }
    }
  }
  if (options.to_syslog) {
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

void Init(const Options& options) {
  auto logger = MakeLogger(options);
  std::lock_guard lock(Global().mutex);
  Global().logger = std::move(logger);
}

void SetSecrets(std::vector<std::string> secrets) {
  Redactor redactor(std::move(secrets));
  std::lock_guard lock(Global().mutex);
  Global().redactor = std::move(redactor);
}

void Write(Level level, std::string_view message) {
  std::lock_guard lock(Global().mutex);
  if (!Global().logger) Global().logger = MakeLogger(Options{});
  const std::string line = Global().redactor.Redact(message);
  switch (level) {
    case Level::kDebug: Global().logger->debug(line); break;
    case Level::kInfo: Global().logger->info(line); break;
    case Level::kWarn: Global().logger->warn(line); break;
    case Level::kError: Global().logger->error(line); break;
  }
}

}  // namespace nodeboot::log
