// The parts of CommandRunner that start no process: argv formatting, the error line a message
// quotes, and the dry-run runner. The real runner is in command_runner_posix.cc.
#include "agent/base/command_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

#include "agent/base/shutdown.h"
#include "agent/base/text.h"

namespace nodeboot {
namespace {

// Characters a POSIX shell takes literally in an unquoted word.
bool IsShellSafe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
}

std::string QuoteWord(const std::string& word) {
  bool safe = !word.empty();
  for (char c : word) safe = safe && IsShellSafe(c);
  if (safe) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";  // close the quote, an escaped quote, reopen
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

// The first non-blank line of `text`, trimmed. A line that ends in ':' introduces what follows
// ("error execution phase preflight: [preflight] Some fatal errors occurred:" and a tab-indented
// "[ERROR FileAvailable--...]: ... already exists" under it, as kubeadm prints): the indented
// lines right after it are part of it, up to kMaxListedLines of them, joined with "; ".
std::string FirstNonBlankLine(std::string_view text) {
  constexpr int kMaxListedLines = 3;
  std::string first;
  int listed = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    const std::string_view line = TrimWhitespace(raw);
    if (first.empty()) {
      first = std::string(line);
    } else if (!line.empty()) {
      const bool indented = raw.front() == ' ' || raw.front() == '\t';
      if (!indented || listed == kMaxListedLines) break;
      first += (listed == 0 ? " " : "; ") + std::string(line);
      ++listed;
    }
    if (!first.empty() && first.back() != ':' && listed == 0) break;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return first;
}

class DryRunCommandRunner : public CommandRunner {
 public:
  DryRunCommandRunner(CommandRunner& real, std::function<void(const std::string&)> print)
      : real_(real), print_(std::move(print)) {}

  Result<CommandResult> Run(const Command& command) override {
    if (!command.changes_system) return real_.Run(command);
    print_("would run: " + FormatArgv(command.argv));
    return CommandResult{};
  }
  bool HasProgram(const std::string& program) override { return real_.HasProgram(program); }

 private:
  CommandRunner& real_;
  std::function<void(const std::string&)> print_;
};

}  // namespace

std::string FormatArgv(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) {
    if (!line.empty()) line += ' ';
    line += QuoteWord(word);
  }
  return line;
}

std::string CommandResult::FirstErrorLine() const {
  std::string line = FirstNonBlankLine(err);
  if (line.empty()) line = FirstNonBlankLine(out);
  return line;
}

std::string DescribeFailure(const Command& command, const CommandResult& result) {
  if (result.timed_out) {
    return fmt::format("timed out after {} s; its process group was killed",
                       std::chrono::duration_cast<std::chrono::seconds>(command.timeout).count());
  }
  if (result.stopped_by != 0) return fmt::format("stopped: nodeboot got {}", SignalName(result.stopped_by));
  const std::string first = result.FirstErrorLine();
  return first.empty() ? fmt::format("exit {}", result.exit_code) : fmt::format("exit {}: {}", result.exit_code, first);
}

std::unique_ptr<CommandRunner> MakeDryRunCommandRunner(CommandRunner& real,
                                                       std::function<void(const std::string&)> print) {
  return std::make_unique<DryRunCommandRunner>(real, std::move(print));
}

}  // namespace nodeboot
