// The MIG reset (SPEC §6a): clear the Multi-Instance GPU layout a bare-metal GPU instance kept
// from its previous tenant (the seeds: ACK's ebmgn7/ebmgn7e "cannot automatically delete the MIG
// configuration"), as a convergent loop like storage's reconcile:
//
//   observe (nvidia-smi reads) -> next step (pure) -> do it (one nvidia-smi change) -> observe ...
//
// per GPU in index order: destroy its compute instances, then its GPU instances, then disable MIG
// mode; a disable that stays pending until a GPU reset gets `nvidia-smi -r -i N` when no process
// uses the GPU. The loop ends when an observation shows no MIG state left (verified), or with the
// reason no step can go on. All state lives in the GPUs, so a run killed anywhere is picked up
// by the next one from what nvidia-smi shows, with no record of its own; a node that is already
// clean costs one `nvidia-smi --query-gpu` and nothing else.
//
// Errors (catalog codes, all exit 50 but the timeout):
//   NB-GPU-MIG-RESET-FAILED  an nvidia-smi call failed, or its output could not be read
//   NB-GPU-IN-USE            a process (or another driver client) holds a GPU with MIG state
//   NB-GPU-REBOOT-REQUIRED   the platform allows no GPU reset (pass-through): only a reboot
//                            applies it
//   NB-GPU-MIG-RESET-TIMEOUT not done within gpu.resetTimeoutSeconds (exit 51)
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/result.h"
#include "agent/gpu/nvidia_smi.h"

namespace nodeboot::gpu {

// One GPU as observed: its modes, its instances (read only when MIG is on) and the compute
// processes on it.
struct GpuState {
  GpuInfo info;
  std::vector<GpuInstance> gpu_instances;
  std::vector<ComputeInstance> compute_instances;
  std::vector<GpuProcess> processes;

  // Anything the reset must clear: MIG on now or after the next reset, or instances left.
  bool HasMigState() const;
};

struct Observation {
  // Set when nvidia-smi cannot tell about any GPU: not on PATH, no driver loaded, no GPU.
  std::string unavailable;
  std::vector<GpuState> gpus;
};

// Why the phase has nothing to reset ("nvidia-smi is not on PATH ...", "no GPU has MIG state:
// GPU 0 MIG Disabled, GPU 1 MIG N/A"), or "" when some GPU has MIG state.
std::string WhyNothingToReset(const Observation& observed);

enum class StepKind { kDestroyComputeInstances, kDestroyGpuInstances, kDisableMig, kResetGpu };

struct Step {
  StepKind kind = StepKind::kDisableMig;
  int gpu = 0;
  std::string why;  // "destroy the 3 compute instances of GPU 0"
};
std::vector<std::string> Argv(const Step& step);

// What this run's earlier steps learned that a GPU's state does not show.
struct History {
  std::set<int> reset;                        // GPUs `nvidia-smi -r` reset
  std::map<int, std::string> reset_refused;   // GPUs the platform may not reset: nvidia-smi's words
  std::map<int, std::string> pending_reason;  // why the last mode change stayed pending
};

// The next step from the observation, nothing when no GPU has MIG state left, or the error
// that stops the reset: NB-GPU-IN-USE for a GPU a compute process uses whose instances or
// enabled MIG mode must go (checked on every GPU before any step; cancelling a pending enable
// needs no idle GPU), NB-GPU-REBOOT-REQUIRED for a pending disable that no reset can apply.
Result<std::optional<Step>> NextStep(const Observation& observed, const History& history);

// The whole reset as planned from one observation, for --dry-run and plan-style output. A
// reset that only happens if the disable stays pending is `conditional`.
struct PlannedStep {
  Step step;
  bool conditional = false;
};
std::vector<PlannedStep> PlanReset(const Observation& observed);
// One line per GPU with MIG state, then one per step ("  nvidia-smi mig -dci -i 0: destroy ...").
std::vector<std::string> DescribeResetPlan(const Observation& observed);

// The final check: every GPU's MIG mode Disabled (or N/A) now and pending, no instance left.
Status VerifyCleared(const Observation& observed);

// The side effects and limits of one reset.
struct ResetContext {
  ResetContext(CommandRunner& runner, std::chrono::milliseconds total) : runner(runner), total(total) {}

  CommandRunner& runner;
  std::chrono::milliseconds total;                                      // gpu.resetTimeoutSeconds: the whole phase
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};     // each nvidia-smi read
  std::chrono::milliseconds change_timeout{std::chrono::seconds(300)};  // each change (a reset takes long)
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
  std::function<void(const std::string&)> note;  // each decision and nvidia-smi output line
  std::function<bool()> stopping;                // nodeboot is being stopped
  bool dry_run = false;
  std::function<void(const std::string&)> print;  // the plan, under dry_run
};

struct ResetOutcome {
  Status status;
  std::string skipped;  // why there was nothing to reset; empty when something was (or failed)
};

// Observe -> step -> observe until clean (verified) or an error. Under dry_run: one
// observation, the plan printed and its changes passed to the runner (which only prints them).
ResetOutcome ResetMig(ResetContext& context);

}  // namespace nodeboot::gpu
