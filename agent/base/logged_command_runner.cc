#include "agent/base/logged_command_runner.h"

#include "agent/base/logging.h"
#include "agent/base/shutdown.h"

namespace nodeboot {
namespace {

class LoggedCommandRunner : public CommandRunner {
 public:
  LoggedCommandRunner(CommandRunner& inner, std::function<void(const Command&)> on_start)
      : inner_(inner), on_start_(std::move(on_start)) {}

  Result<CommandResult> Run(const Command& command) override {
    // "read:" marks a command that changes nothing, so a log shows at a glance (and a test
    // counts) what a run changed.
    const std::string argv = (command.changes_system ? "exec: " : "read: ") + FormatArgv(command.argv);
    log::Info("{}", argv);
    if (on_start_) on_start_(command);
    auto result = inner_.Run(command);
    if (!result) {
      log::Error("{}: {}", argv, result.error().message);
    } else if (result->stopped_by != 0) {
      log::Warn("{}: stopped after {} ms: nodeboot got {}; process group terminated (exit {})", argv,
                result->duration.count(), SignalName(result->stopped_by), result->exit_code);
    } else if (result->timed_out) {
      log::Error("{}: timed out after {} ms; process group killed (exit {})", argv, result->duration.count(),
                 result->exit_code);
    } else {
      log::Info("{}: exit {} in {} ms", argv, result->exit_code, result->duration.count());
    }
    return result;
  }
  bool HasProgram(const std::string& program) override { return inner_.HasProgram(program); }

 private:
  CommandRunner& inner_;
  std::function<void(const Command&)> on_start_;
};

}  // namespace

std::unique_ptr<CommandRunner> MakeLoggedCommandRunner(CommandRunner& inner,
                                                       std::function<void(const Command&)> on_start) {
  return std::make_unique<LoggedCommandRunner>(inner, std::move(on_start));
}

}  // namespace nodeboot
