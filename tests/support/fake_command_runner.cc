#include "tests/support/fake_command_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <string_view>

namespace nodeboot::testing {
namespace {

void StreamLines(const Command& command, OutputStream stream, std::string_view text) {
  if (!command.on_line) return;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    command.on_line(stream, text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

std::string LastBytes(const std::string& text, size_t capture_bytes) {
  return text.size() <= capture_bytes ? text : text.substr(text.size() - capture_bytes);
}

}  // namespace

void FakeCommandRunner::On(std::vector<std::string> prefix, CommandResult result) {
  rules_.push_back({std::move(prefix), std::move(result), ""});
}

void FakeCommandRunner::Unstartable(std::vector<std::string> prefix, std::string why) {
  rules_.push_back({std::move(prefix), {}, std::move(why)});
}

bool FakeCommandRunner::HasProgram(const std::string& program) {
  return std::none_of(rules_.begin(), rules_.end(), [&](const Rule& rule) {
    return !rule.start_error.empty() && rule.prefix == std::vector<std::string>{program};
  });
}

Result<CommandResult> FakeCommandRunner::Run(const Command& command) {
  commands.push_back(command);
  if (command.argv.empty()) return Error::Internal("start: empty argv");
  const auto rule = std::find_if(rules_.rbegin(), rules_.rend(), [&](const Rule& r) {
    return r.prefix.size() <= command.argv.size() && std::equal(r.prefix.begin(), r.prefix.end(), command.argv.begin());
  });
  if (rule != rules_.rend() && !rule->start_error.empty()) {
    return Error::Internal(fmt::format("start {}: {}", command.argv.front(), rule->start_error));
  }
  CommandResult result = rule == rules_.rend() ? CommandResult{} : rule->result;
  // As the real child does before exec: its pid into Command::pid_file, best effort.
  const int pid = next_pid_++;
  if (!command.pid_file.empty()) std::ofstream(command.pid_file) << pid << "\n";
  StreamLines(command, OutputStream::kStdout, result.out);
  StreamLines(command, OutputStream::kStderr, result.err);
  result.out = LastBytes(result.out, command.capture_bytes);
  result.err = LastBytes(result.err, command.capture_bytes);
  if (result.timed_out) result.duration = command.timeout;
  return result;
}

std::vector<std::string> FakeCommandRunner::Lines() const {
  std::vector<std::string> lines;
  for (const auto& command : commands) lines.push_back(FormatArgv(command.argv));
  return lines;
}

CommandResult FakeCommandRunner::Exit(int code, std::string err, std::string out) {
  CommandResult result;
  result.exit_code = code;
  result.err = std::move(err);
  result.out = std::move(out);
  return result;
}

CommandResult FakeCommandRunner::Output(std::string out) { return Exit(0, "", std::move(out)); }

CommandResult FakeCommandRunner::TimedOut() {
  CommandResult result;
  result.exit_code = 128 + 15;
  result.timed_out = true;
  return result;
}

}  // namespace nodeboot::testing
