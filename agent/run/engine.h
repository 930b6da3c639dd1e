// The engine: runs the phases in order, decides for each whether it runs (selection, an
// earlier failure, "already succeeded on this instance", a script an earlier run left
// interrupted, a stop signal), records every outcome, and returns the run's record. It
// writes nothing itself: the caller's checkpoint hook saves the state when each phase starts
// and when it ends, so a run killed at any instant is seen by the next one.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/base/redact.h"
#include "agent/run/phase.h"
#include "agent/run/state.h"

namespace nodeboot::run {

struct Selection {
  std::set<std::string> only;  // empty: every phase
  std::set<std::string> skip;
  bool repair = false;
  bool rerun_scripts = false;
};

struct RunHooks {
  // Saves `state` (with `state.last_run` = the run so far). Called before a phase runs and when
  // it ends; an error before a phase stops the run there (a script must not run unrecorded).
  std::function<Status(const State& state)> checkpoint;
  // The stop signal nodeboot has received so far (0: none): no phase starts after one.
  std::function<int()> stop_signal;
  // Every message, reason and output line passes this where the record is made.
  Redactor redactor;
};

// Runs the phases; `state.phases` and `state.last_run` are kept up to date as it goes, and
// the returned record is `*state.last_run` with its final status.
RunRecord RunPhases(const std::vector<std::unique_ptr<Phase>>& phases, PhaseContext& context,
                    const Selection& selection, State& state, const RunHooks& hooks = {});

}  // namespace nodeboot::run
