// The storage phase (SPEC §4): observe -> plan -> apply -> verify, with the config turned into
// the storage library's inputs. Also `nodeboot plan`, which stops after the plan.
#pragma once

#include <memory>
#include <string>

#include "agent/run/phase.h"

namespace nodeboot::run {

std::unique_ptr<Phase> MakeStoragePhase();

// `nodeboot plan`: prints the plan (SPEC §4's JSON, or text) on stdout; the exit code is 0, or
// that of the problem that stops the layout (2, 20, 21, 22).
int PrintPlan(const std::string& root, const std::string& config_path, bool json);

}  // namespace nodeboot::run
