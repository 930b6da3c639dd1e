// The parts of CommandRunner that start no process: argv formatting, the error line a message
// quotes, and the dry-run runner. The real runner is in command_runner_posix.cc.
#include "agent/base/command_runner.h"

#include <utility>

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

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// The first line that is not blank, trimmed; "" when there is none.
std::string_view FirstNonBlankLine(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    if (!line.empty()) return line;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
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
  std::string_view line = FirstNonBlankLine(err);
  if (line.empty()) line = FirstNonBlankLine(out);
  return std::string(line);
}

std::unique_ptr<CommandRunner> MakeDryRunCommandRunner(
    CommandRunner& real, std::function<void(const std::string&)> print) {
  return std::make_unique<DryRunCommandRunner>(real, std::move(print));
}

}  // namespace nodeboot
