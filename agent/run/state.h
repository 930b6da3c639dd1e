// state.json (SPEC §8): what nodeboot remembers between runs, written atomically.
//   - `phases`: each phase's last real outcome (succeeded / failed) on this instance; a plain
//     run skips the phases that succeeded.
//   - `lastRun`: the last run as `status` and the report show it: each phase's outcome in this
//     run (including skips and why), the overall result and exit code, the report's delivery.
// A different instance id (an image cloned from a used node) discards everything.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::run {

// One phase in one run.
struct PhaseRecord {
  std::string name;
  std::string status;  // "succeeded", "failed", "skipped", "not-run"
  std::string reason;  // why skipped / not run; empty otherwise
  std::string started_at;
  int64_t duration_ms = 0;
  int exit_code = 0;
  std::string error_code;
  std::string error_message;
  std::vector<std::string> output;  // the step's own output (failures keep it), redacted
  std::string run_id;
};

struct ReportRecord {
  std::string status;  // "delivered", "pending", "failed", "not-configured", "not-implemented"
  std::string detail;
};

struct RunRecord {
  std::string run_id;
  std::string boot_id;
  std::string started_at;
  std::string finished_at;
  int64_t duration_ms = 0;
  std::string status;  // "succeeded" or "failed"
  int exit_code = 0;
  std::string failed_phase;
  std::string error_code;
  std::string error_message;
  std::vector<PhaseRecord> phases;
  ReportRecord report;
};

struct State {
  std::string instance_id;
  std::string node_name;
  std::map<std::string, PhaseRecord> phases;  // last real outcome per phase
  std::optional<RunRecord> last_run;

  bool Succeeded(const std::string& phase) const {
    auto it = phases.find(phase);
    return it != phases.end() && it->second.status == "succeeded";
  }
};

// The state for `instance_id`: what the file holds, or a fresh State when the file is
// missing or was written for another instance. A corrupt file is an error (never silently
// treated as "nothing done", which would re-run scripts).
Result<State> LoadState(const Paths& paths, const std::string& instance_id);
// The state as the file holds it, whatever its instance (for `status`).
Result<std::optional<State>> ReadState(const Paths& paths);
Status SaveState(const Paths& paths, const State& state);

std::string ToJson(const State& state);
std::string ToJson(const RunRecord& run);

}  // namespace nodeboot::run
