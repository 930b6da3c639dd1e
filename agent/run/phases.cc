#include "agent/run/phases.h"

#include "agent/gpu/gpu_phase.h"
#include "agent/join/join_phase.h"
#include "agent/run/storage_phase.h"
#include "agent/scripts/script_phase.h"

namespace nodeboot::run {

std::vector<std::unique_ptr<Phase>> StandardPhases() {
  std::vector<std::unique_ptr<Phase>> phases;
  // The pre-install script runs first: operators use it to install packages, certificates or
  // drivers that everything after it needs.
  phases.push_back(scripts::MakeScriptPhase(scripts::Which::kPreInstall));
  // Storage before join: the container runtime's and the kubelet's directories must be on
  // their volumes before either starts writing to them.
  phases.push_back(MakeStoragePhase());
  // A bare-metal GPU instance may keep the MIG layout of its previous tenant: cleared before
  // the node's services start and the device plugin advertises it.
  phases.push_back(gpu::MakeGpuPhase());
  // Join once the node is complete, so the scheduler never sees a half-built node Ready.
  phases.push_back(join::MakeJoinPhase());
  // The post-install script last: it may label, test or talk to the joined node.
  phases.push_back(scripts::MakeScriptPhase(scripts::Which::kPostInstall));
  return phases;
}

std::vector<std::string> StandardPhaseNames() {
  std::vector<std::string> names;
  for (const auto& phase : StandardPhases()) names.emplace_back(phase->name());
  return names;
}

}  // namespace nodeboot::run
