// The storage phase's reconcile loop: observe, plan the steps from the desired layout and the
// real state, carry them out up to the first that changes a VG, observe again - until a pass
// finds nothing to do, whose observation is then verified. LVs are thus always sized from the
// VG lvm really made (whatever alignment the disk or lvm.conf imposed), a run killed anywhere is
// picked up from what is really there (with the intent record for what a kill left half-made),
// and a finished node costs one observation: one lvm read and nothing else.
#pragma once

#include "storage/apply.h"
#include "storage/observe.h"
#include "storage/plan.h"

namespace nodeboot::storage {

// Exit 20/21 from the planner, 22 from a command or the verification (including a layout that
// does not converge within a few passes). Under --dry-run one pass, printed, nothing verified.
Status Reconcile(const PlanInput& input, ApplyContext& context);

// One read-only pass, for `nodeboot plan`: the plan from the current state.
Result<Plan> PlanOnce(const PlanInput& input, const Paths& paths, Lvm& lvm, SignatureProbe& probe);

// The planner's decisions on each disk, one log line each.
void LogDecisions(const Plan& plan);

}  // namespace nodeboot::storage
