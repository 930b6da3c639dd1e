// The engine: runs the phases in order, decides for each whether it runs (selection, an
// earlier failure, "already succeeded on this instance"), records every outcome, and returns
// the run's record and exit code. It writes nothing itself; the caller saves the state.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/run/phase.h"
#include "agent/run/state.h"

namespace nodeboot::run {

struct Selection {
  std::set<std::string> only;  // empty: every phase
  std::set<std::string> skip;
  bool repair = false;
  bool rerun_scripts = false;
};

RunRecord RunPhases(const std::vector<std::unique_ptr<Phase>>& phases, PhaseContext& context,
                    const Selection& selection, State& state);

}  // namespace nodeboot::run
