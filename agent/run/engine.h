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
#include <string_view>
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
  // Called once, before the engine considers the first phase whose needs_node_services() is
  // true, whether that phase then runs or is skipped: the phases that lay out the node's data
  // are settled, and units ordered after nodeboot (the kubelet, containerd) may start. Not
  // called when an earlier phase failed or the run was halted (a stop signal, a reboot a script
  // asked for): those units must not start on a half-made layout on our word. They do start
  // once nodeboot exits, failed or not (After= orders, it does not require), as they did when
  // nodeboot.service was a oneshot; the failed unit, `status` and the report say why.
  // `phase` is the phase that needs them.
  std::function<void(std::string_view phase)> node_services_may_start;
  // Called with a phase's name as it starts running (its start recorded).
  std::function<void(std::string_view phase)> phase_started;
};

// Runs the phases; `state.phases` and `state.last_run` are kept up to date as it goes, and
// the returned record is `*state.last_run` with its final status.
RunRecord RunPhases(const std::vector<std::unique_ptr<Phase>>& phases, PhaseContext& context,
                    const Selection& selection, State& state, const RunHooks& hooks = {});

}  // namespace nodeboot::run
