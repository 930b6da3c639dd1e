#include "agent/base/logged_command_runner.h"

#include "agent/base/logging.h"

namespace nodeboot {
namespace {

class LoggedCommandRunner : public CommandRunner {
 public:
  explicit LoggedCommandRunner(CommandRunner& inner) : inner_(inner) {}

  Result<CommandResult> Run(const Command& command) override {
    const std::string argv = FormatArgv(command.argv);
    log::Info("exec: {}", argv);
    auto result = inner_.Run(command);
    if (!result) {
      log::Error("exec: {}: {}", argv, result.error().message);
    } else if (result->timed_out) {
      log::Error("exec: {}: timed out after {} ms; process group killed (exit {})", argv, result->duration.count(),
                 result->exit_code);
    } else {
      log::Info("exec: {}: exit {} in {} ms", argv, result->exit_code, result->duration.count());
    }
    return result;
  }

 private:
  CommandRunner& inner_;
};

}  // namespace

std::unique_ptr<CommandRunner> MakeLoggedCommandRunner(CommandRunner& inner) {
  return std::make_unique<LoggedCommandRunner>(inner);
}

}  // namespace nodeboot
