// A CommandRunner decorator that logs every command (SPEC §8): its argv (secrets masked by the
// logger), then its exit code and duration, or the timeout, or why it could not start.
#pragma once

#include <functional>
#include <memory>

#include "agent/base/command_runner.h"

namespace nodeboot {

// `on_start`, when set, hears each command as it starts (the run's progress line for systemd).
std::unique_ptr<CommandRunner> MakeLoggedCommandRunner(CommandRunner& inner,
                                                       std::function<void(const Command&)> on_start = {});

}  // namespace nodeboot
