// The storage phase (SPEC §4): the storage library's reconcile loop (observe -> plan -> apply,
// until nothing is left, then verify) on the inputs the config gives. `nodeboot plan` stops
// after one plan (plan_command.h).
#pragma once

#include <memory>

#include "agent/base/paths.h"
#include "agent/config/node_config.h"
#include "agent/run/phase.h"
#include "storage/plan.h"

namespace nodeboot::run {

std::unique_ptr<Phase> MakeStoragePhase();

// The planner's input from the config: the storage spec, the disks and data volumes the cloud
// attached, the filesystem, and the root as the prefix of the mount points nodeboot writes.
// Requires config.node_template.storage.
storage::PlanInput PlanInputFor(const config::NodeConfig& config, const Paths& paths);

}  // namespace nodeboot::run
