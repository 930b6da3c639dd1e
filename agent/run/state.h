// state.json (SPEC §8): what nodeboot remembers between runs, written atomically and fsync'd.
//   - `phases`: each phase's last real outcome on this instance; a plain run skips the phases
//     that succeeded.
//   - `lastRun`: the last run as `status` and the report show it: each phase's outcome in this
//     run (including skips and why), the run's result, the report's delivery. The failed phase,
//     the error and the exit code are derived from the phases, never stored twice.
// The engine writes the file when each phase starts and when it ends (RunHooks::checkpoint), so
// a run that dies - SIGKILL, a crash, a reboot, a power cut - leaves a phase `running`: the next
// run (which holds the lock, so that run is gone) and `status` see it as `interrupted`.
// A different instance id (an image cloned from a used node) discards everything; a file that
// is not a state file nodeboot wrote is an error, never "nothing ran" (that would re-run scripts).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::run {

enum class PhaseStatus {
  kSucceeded,
  kFailed,
  kSkipped,      // not run on purpose (selection, nothing to do, already done): `reason` says why
  kNotRun,       // not reached: an earlier phase failed, nodeboot was stopped, a reboot was asked
  kRunning,      // started and not ended (on disk only while it runs, or when the run died)
  kInterrupted,  // ended by a stop signal to nodeboot, or found `running` by a later run
};
enum class RunStatus { kRunning, kSucceeded, kFailed, kInterrupted, kRebooting };
enum class ReportStatus {
  kSending,  // the report step has not finished (on disk only while it runs)
  kDelivered,
  kPending,        // waiting in the outbox
  kFailed,         // refused by the task service (kept aside)
  kNotConfigured,  // no task.url
  kNotSent,        // a dry run, or a run that goes on after a reboot
};

std::string_view ToString(PhaseStatus status);
std::string_view ToString(RunStatus status);
std::string_view ToString(ReportStatus status);

// One phase in one run.
struct PhaseRecord {
  std::string name;
  PhaseStatus status = PhaseStatus::kNotRun;
  std::string reason;  // why skipped / not run; empty otherwise
  std::string started_at;
  int64_t duration_ms = 0;
  int exit_code = 0;
  std::string error_code;
  std::string error_message;
  std::vector<std::string> output;  // the step's own output (failures keep it), redacted
  std::string run_id;
  bool reboot_requested = false;  // a script that succeeded asked for a reboot

  bool Ended() const {
    return status == PhaseStatus::kSucceeded || status == PhaseStatus::kFailed || status == PhaseStatus::kInterrupted;
  }
};

struct ReportRecord {
  ReportStatus status = ReportStatus::kSending;
  std::string detail;
};

struct RunRecord {
  std::string run_id;
  std::string boot_id;
  std::string started_at;
  std::string finished_at;
  int64_t duration_ms = 0;
  RunStatus status = RunStatus::kRunning;
  int stopped_by = 0;  // the signal that stopped nodeboot (SIGTERM, SIGINT, SIGHUP); 0: none
  std::vector<PhaseRecord> phases;
  ReportRecord report;
  std::vector<std::string> warnings;  // e.g. a config readable by other users

  // The phase that failed or was interrupted (the first; there is at most one), or null.
  const PhaseRecord* FailedPhase() const;
  // The process exit code of this run (SPEC §2): 128 + the signal when nodeboot was stopped,
  // else the failed phase's, else 0. None while it runs, and for a run that died unrecorded.
  std::optional<int> ExitCode() const;
};

struct State {
  std::string instance_id;
  std::string node_name;
  std::map<std::string, PhaseRecord> phases;  // last real outcome per phase
  std::optional<RunRecord> last_run;

  bool Succeeded(const std::string& phase) const {
    auto it = phases.find(phase);
    return it != phases.end() && it->second.status == PhaseStatus::kSucceeded;
  }
  bool Interrupted(const std::string& phase) const {
    auto it = phases.find(phase);
    return it != phases.end() && it->second.status == PhaseStatus::kInterrupted;
  }
};

// The state for `instance_id`: what the file holds, or a fresh State when the file is
// missing or was written for another instance. A file that is not a state file nodeboot wrote
// is an error (never silently treated as "nothing done", which would re-run scripts).
Result<State> LoadState(const Paths& paths, const std::string& instance_id);
// The state as the file holds it, whatever its instance (for `status`).
Result<std::optional<State>> ReadState(const Paths& paths);
// Atomically, fsync'd (file and directory), 0600 in a 0700 directory.
Status SaveState(const Paths& paths, const State& state);

// A run recorded as `running` whose process is gone (the caller knows: it holds the lock, or
// the lock is free): that run and its running phase become `interrupted`. True if one was.
bool MarkDeadRunInterrupted(State& state);

// Parses a state file's text; the error says what is missing or wrong.
Result<State> ParseState(std::string_view text);
std::string ToJson(const State& state);

}  // namespace nodeboot::run
