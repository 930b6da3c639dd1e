// The progress file: what a run in progress is doing right now - its phase and the command
// under way, each with the time it started - for `nodeboot status` (SPEC §1: "the one in
// progress: its current phase and step"). state.json says which phase runs; only this file
// knows the step, which changes with every command and so is not worth an fsync'd state write.
// It lives in /run (Paths::kProgressFile): a reboot forgets it, as it forgets the run.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base/command_runner.h"
#include "agent/base/redact.h"
#include "agent/base/result.h"

namespace nodeboot::run {

struct Progress {
  std::string run_id;
  std::string phase;        // a phase name, or "report" for the report step after the phases
  std::string phase_since;  // UTC, RFC 3339
  std::string step;         // the command under way (masked, at most 160 characters); empty between commands
  std::string step_since;
};

std::string ProgressToJson(const Progress& progress);
Result<Progress> ProgressFromJson(std::string_view text);
// The file, or nullopt when there is none (no run in progress, or it has not started a phase).
Result<std::optional<Progress>> ReadProgress(const std::filesystem::path& file);

// A command as a status line shows it: the argv, masked, cut to 160 characters.
std::string StepLine(const Command& command, const Redactor& redactor);

// Keeps the file up to date during one run and removes it when the run is over (destructor).
// Writes are best effort: a progress file that cannot be written costs `status` its step line,
// never the run.
class ProgressFile {
 public:
  ProgressFile(std::filesystem::path file, std::string run_id);
  ~ProgressFile();
  ProgressFile(const ProgressFile&) = delete;
  ProgressFile& operator=(const ProgressFile&) = delete;

  void PhaseStarted(std::string_view phase);
  void StepStarted(std::string_view step);

 private:
  void Write();

  std::filesystem::path file_;
  Progress progress_;
};

}  // namespace nodeboot::run
