// The gpu phase (SPEC §6a): before the node joins, clear the MIG layout a bare-metal GPU instance
// kept from its previous tenant (mig_reset.h), within gpu.resetTimeoutSeconds.
//
//   gpu.migReset: never       -> NothingToDo: skipped with that reason, nothing runs.
//   no nvidia-smi on PATH, no GPU nvidia-smi can manage, no GPU with MIG state
//                             -> skipped from its own run (PhaseOutcome::skipped says why): only
//                                `nvidia-smi --query-gpu` ran.
//   MIG state                 -> the reset loop; failed: exit 50 (NB-GPU-MIG-RESET-FAILED,
//                                NB-GPU-IN-USE, NB-GPU-REBOOT-REQUIRED), 51
//                                (NB-GPU-MIG-RESET-TIMEOUT).
//   --dry-run                 -> the reads run, the plan is printed ("gpu: ...") and each change
//                                goes to the dry-run runner ("would run: nvidia-smi ...").
//
// The phase runs before the node's services (needs_node_services false): the device plugin
// and the kubelet must see the GPUs as they will stay.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/run/phase.h"

namespace nodeboot::gpu {

// The side effects the phase does not get from the PhaseContext (tests pass their own).
struct GpuEnvironment {
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds change_timeout{std::chrono::seconds(300)};
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
  // Where --dry-run prints the plan (stdout, beside the dry-run runner's "would run:" lines).
  std::function<void(const std::string&)> print;
};

std::unique_ptr<run::Phase> MakeGpuPhase(GpuEnvironment environment = {});

}  // namespace nodeboot::gpu
