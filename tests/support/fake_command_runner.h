// FakeCommandRunner: a CommandRunner that starts nothing. It records every Command and answers
// from rules: the most recently added rule whose words start the argv gives the result (exit
// code, stdout, stderr, a timeout), or a start Error as the real runner gives one for a
// program it cannot start ("start lvm: not found in PATH"); without a matching rule, exit 0
// and no output. Like the real runner it writes the pid file a command names, streams each line of the answer's
// stdout and stderr to on_line, and keeps only the last capture_bytes of each stream.
#pragma once

#include <string>
#include <vector>

#include "agent/base/command_runner.h"

namespace nodeboot::testing {

class FakeCommandRunner : public CommandRunner {
 public:
  // Commands whose argv starts with `prefix` get `result`.
  void On(std::vector<std::string> prefix, CommandResult result);
  // Commands whose argv starts with `prefix` cannot be started: "start PROGRAM: `why`".
  void Unstartable(std::vector<std::string> prefix, std::string why = "not found in PATH");

  Result<CommandResult> Run(const Command& command) override;
  // False for a program an Unstartable rule names by itself ({"nvidia-smi"}).
  bool HasProgram(const std::string& program) override;

  // Every command run, in order, and each one's argv as FormatArgv writes it.
  std::vector<Command> commands;
  std::vector<std::string> Lines() const;

  // Results as the real runner reports them.
  static CommandResult Exit(int code, std::string err = "", std::string out = "");
  static CommandResult Output(std::string out);
  // The timeout fired: SIGTERM ended the process group (exit 128 + 15).
  static CommandResult TimedOut();

 private:
  struct Rule {
    std::vector<std::string> prefix;
    CommandResult result;
    std::string start_error;  // non-empty: the command cannot be started
  };
  std::vector<Rule> rules_;
  int next_pid_ = 4000;
};

}  // namespace nodeboot::testing
