#include "agent/scripts/script_output.h"

#include <fmt/format.h>

#include <utility>

namespace nodeboot::scripts {

ScriptOutputLog::ScriptOutputLog(std::string phase, std::function<void(const std::string&)> log, size_t budget_bytes,
                                 size_t tail_bytes)
    : phase_(std::move(phase)), log_(std::move(log)), budget_bytes_(budget_bytes), held_(tail_bytes) {}

std::string ScriptOutputLog::Format(OutputStream stream, std::string_view line) const {
  return fmt::format("{} {}: {}", phase_, stream == OutputStream::kStderr ? "stderr" : "stdout", line);
}

void ScriptOutputLog::Add(OutputStream stream, std::string_view line) {
  if (held_lines_ == 0 && logged_bytes_ + line.size() <= budget_bytes_) {
    logged_bytes_ += line.size();
    log_(Format(stream, line));
    return;
  }
  if (held_lines_ == 0) {  // the first line past the budget
    log_(
        fmt::format("{}: the script printed more than {} bytes; the rest is not logged line by line, only its "
                    "last lines when the script ends",
                    phase_, budget_bytes_));
  }
  ++held_lines_;
  held_bytes_ += line.size();
  held_.Add(Format(stream, line));
}

void ScriptOutputLog::Finish() {
  if (held_lines_ == 0) return;
  const auto last = held_.Lines();
  log_(fmt::format("{}: {} lines of output were not logged ({} lines, {} bytes past the budget); the last {} follow",
                   phase_, held_lines_ - last.size(), held_lines_, held_bytes_, last.size()));
  for (const auto& line : last) log_(line);
  held_lines_ = 0;  // said once
}

}  // namespace nodeboot::scripts
