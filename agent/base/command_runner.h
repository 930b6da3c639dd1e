// CommandRunner: every external program nodeboot starts goes through this interface (the
// ninja model: side effects behind a small interface with Real, DryRun and Fake
// implementations). Child processes get an argv, never a shell string; LC_ALL=C; a timeout
// that kills the whole process group (SIGTERM, then SIGKILL after a grace period); stdout
// and stderr captured separately, each capped to its last `capture_bytes`, and streamed line
// by line to `on_line` as they arrive.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/result.h"

namespace nodeboot {

enum class OutputStream { kStdout, kStderr };

struct Command {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  // added to the inherited environment; LC_ALL=C always
  std::string working_dir = "/";
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(10)};  // SIGTERM -> SIGKILL
  size_t capture_bytes = 64 * 1024;                                // keep the last this-many bytes of each stream
  // False for commands that only read (lvm fullreport, blkid): the dry-run runner still runs
  // them, because the plan depends on what they say.
  bool changes_system = true;
  // Called for every complete line (without '\n'), and for a final unterminated one.
  std::function<void(OutputStream, std::string_view line)> on_line;
  // When set: the program's pid (also its process group's id), one line, written to this file
  // by the child itself before exec (through a temporary file renamed over it). So the record
  // exists before the program's first instruction, and no kill of nodeboot at any moment can
  // leave a program running that no record names. Best effort: the program runs anyway.
  std::string pid_file = {};
};

struct CommandResult {
  int exit_code = 0;       // the program's exit status; 128 + signal when a signal ended it
  bool timed_out = false;  // the timeout fired and the process group was killed
  // Nodeboot itself was told to stop (ShutdownSignals: SIGTERM, SIGINT, SIGHUP) while this ran:
  // the signal, which the process group got as SIGTERM, then SIGKILL after kill_grace; 0: no.
  int stopped_by = 0;
  std::string out;  // the last capture_bytes of stdout
  std::string err;  // the last capture_bytes of stderr
  std::chrono::milliseconds duration{0};

  bool ok() const { return exit_code == 0 && !timed_out && stopped_by == 0; }
  // The first non-empty line of stderr (else stdout): what an error message quotes.
  std::string FirstErrorLine() const;
};

// Why `result` of `command` is not ok(), in the words every error message uses:
// "timed out after 900 s; its process group was killed", "stopped: nodeboot got SIGTERM", or
// "exit 5: <FirstErrorLine>" ("exit 5" alone when the command printed nothing). Without the
// argv: each caller names the command its own way (masked, shortened, with its purpose).
std::string DescribeFailure(const Command& command, const CommandResult& result);

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // A result for every program that started, whatever its exit code; an Error only when it
  // could not be started at all (not found, not executable), naming the program and why.
  virtual Result<CommandResult> Run(const Command& command) = 0;
  // Whether Run could start `program` (a name looked up in PATH as Run looks it up, or a path):
  // a phase whose tool is optional (nvidia-smi) asks first, so a node without the tool runs
  // nothing and logs no failed start. Changes nothing, so a dry run asks the real host too.
  virtual bool HasProgram(const std::string& program) = 0;
};

class ShutdownSignals;

// Starts real processes (Boost.Process; command_runner_posix.cc is the only file using it).
// With `shutdown`, a stop signal to nodeboot is forwarded to the running child's process group
// (SIGTERM, SIGKILL after kill_grace) and the result says so (`stopped_by`); a command started
// after the signal is stopped the same way at once (the caller should not start one).
std::unique_ptr<CommandRunner> MakeRealCommandRunner(ShutdownSignals* shutdown = nullptr);

// Prints each command that changes the system to `print` instead of running it, and answers
// it with exit 0; read-only commands go to `real`. The runner behind `run --dry-run`.
std::unique_ptr<CommandRunner> MakeDryRunCommandRunner(CommandRunner& real,
                                                       std::function<void(const std::string&)> print);

// "kubeadm join --config /etc/kubernetes/x.yaml": argv for logs, each word quoted when needed.
std::string FormatArgv(const std::vector<std::string>& argv);

}  // namespace nodeboot
