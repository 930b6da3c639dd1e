// A CommandRunner decorator that logs every command (SPEC §8): its argv (secrets masked by the
// logger), then its exit code and duration, or the timeout, or why it could not start.
#pragma once

#include <memory>

#include "agent/base/command_runner.h"

namespace nodeboot {

std::unique_ptr<CommandRunner> MakeLoggedCommandRunner(CommandRunner& inner);

}  // namespace nodeboot
