// What nodeboot's log keeps of a script's output. A script's output is the log's best part,
// until a script prints without end (a `yes`, a debug loop, a chatty build): line by line it
// would fill /var/log at first boot, with a prefix on every line. So each script's logged
// output has a budget; past it, only the last lines are held, and logged when the script
// ends with a line saying how much was left out. The failure report's excerpt (OutputTail)
// sees every line either way.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "agent/base/command_runner.h"
#include "agent/base/output_tail.h"

namespace nodeboot::scripts {

// Per script run: the bytes of output lines logged before the rest is held back.
inline constexpr size_t kScriptLogBudgetBytes = 10 * 1024 * 1024;
// What is held back past the budget and logged when the script ends: its last lines, as logged.
inline constexpr size_t kScriptLogTailBytes = 64 * 1024;

class ScriptOutputLog {
 public:
  // `log` writes one line to nodeboot's log; `phase` prefixes each script line.
  ScriptOutputLog(std::string phase, std::function<void(const std::string&)> log,
                  size_t budget_bytes = kScriptLogBudgetBytes, size_t tail_bytes = kScriptLogTailBytes);

  // One line of output (already redacted).
  void Add(OutputStream stream, std::string_view line);
  // The script ended: logs the held-back lines, after a line saying how many were left out.
  void Finish();

 private:
  std::string Format(OutputStream stream, std::string_view line) const;

  std::string phase_;
  std::function<void(const std::string&)> log_;
  size_t budget_bytes_;
  size_t logged_bytes_ = 0;
  size_t held_lines_ = 0;  // lines past the budget, all of them; 0 while within it
  size_t held_bytes_ = 0;
  OutputTail held_;  // the last of them, already formatted
};

}  // namespace nodeboot::scripts
