#include "agent/gpu/mig_reset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace nodeboot::gpu {
namespace {

using std::chrono::milliseconds;

std::string Plural(size_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// "GPU 0 (GPU-e86cb44c-..., 00000000:36:00.0)": how messages name a GPU, with the bus id
// nvidia-smi's own messages use.
std::string Name(const GpuInfo& gpu) { return fmt::format("GPU {} ({}, {})", gpu.index, gpu.uuid, gpu.bus_id); }

std::string Modes(const GpuInfo& gpu) {
  return fmt::format("MIG {} (pending {})", ToString(gpu.current), ToString(gpu.pending));
}

std::string ProcessList(const std::vector<GpuProcess>& processes) {
  std::vector<std::string> names;
  for (const auto& process : processes) names.push_back(fmt::format("pid {} ({})", process.pid, process.name));
  return fmt::format("{}", fmt::join(names, ", "));
}

Error InUse(const GpuState& gpu, std::string_view what) {
  const std::string holders = gpu.processes.empty() ? "no compute process is listed, so another driver client holds "
                                                      "it (nvidia-persistenced, DCGM's "
                                                      "nv-hostengine, nvsm, a monitoring agent, another nvidia-smi)"
                                                    : "used by " + ProcessList(gpu.processes);
  return errors::GpuInUse(fmt::format("{}: {}: {}; stop them (or drain the node) and run `nodeboot run --repair`",
                                      Name(gpu.info), what, holders));
}

// Destroying instances, and a MIG mode change that takes effect now, need an idle GPU; only
// cancelling a pending enable on a GPU with MIG off does not.
bool NeedsIdleGpu(const GpuState& gpu) {
  return gpu.info.current == MigMode::kEnabled || !gpu.gpu_instances.empty() || !gpu.compute_instances.empty();
}

const GpuState* Find(const Observation& observed, int index) {
  for (const auto& gpu : observed.gpus) {
    if (gpu.info.index == index) return &gpu;
  }
  return nullptr;
}

// The steps one GPU needs, from its state alone; the reset is conditional when it depends on
// whether the disable stays pending.
std::vector<PlannedStep> PlanGpu(const GpuState& gpu) {
  std::vector<PlannedStep> steps;
  const int index = gpu.info.index;
  if (!gpu.compute_instances.empty()) {
    steps.push_back(
        {{StepKind::kDestroyComputeInstances, index,
          fmt::format("destroy the {} of GPU {}", Plural(gpu.compute_instances.size(), "compute instance"), index)}});
  }
  if (!gpu.gpu_instances.empty()) {
    steps.push_back(
        {{StepKind::kDestroyGpuInstances, index,
          fmt::format("destroy the {} of GPU {}", Plural(gpu.gpu_instances.size(), "GPU instance"), index)}});
  }
  if (gpu.info.pending == MigMode::kEnabled) {
    steps.push_back({{StepKind::kDisableMig, index, fmt::format("disable MIG mode on GPU {}", index)}});
  }
  if (gpu.info.current == MigMode::kEnabled) {
    const bool pending_now = gpu.info.pending != MigMode::kEnabled;
    steps.push_back({{StepKind::kResetGpu, index,
                      pending_now ? fmt::format("reset GPU {} to apply its pending MIG disable", index)
                                  : fmt::format("reset GPU {} if its MIG disable stays pending", index)},
                     !pending_now});
  }
  return steps;
}

}  // namespace

bool GpuState::HasMigState() const {
  return info.current == MigMode::kEnabled || info.pending == MigMode::kEnabled || !gpu_instances.empty() ||
         !compute_instances.empty();
}

std::string WhyNothingToReset(const Observation& observed) {
  if (!observed.unavailable.empty()) return observed.unavailable;
  if (observed.gpus.empty()) return "nvidia-smi lists no GPU";
  std::vector<std::string> gpus;
  for (const auto& gpu : observed.gpus) {
    if (gpu.HasMigState()) return "";
    gpus.push_back(gpu.info.current == MigMode::kNotSupported ? fmt::format("GPU {} has no MIG", gpu.info.index)
                                                              : fmt::format("GPU {} MIG Disabled", gpu.info.index));
  }
  return fmt::format("no GPU has MIG state ({})", fmt::join(gpus, ", "));
}

std::vector<std::string> Argv(const Step& step) {
  switch (step.kind) {
    case StepKind::kDestroyComputeInstances:
      return DestroyComputeInstancesArgv(step.gpu);
    case StepKind::kDestroyGpuInstances:
      return DestroyGpuInstancesArgv(step.gpu);
    case StepKind::kDisableMig:
      return DisableMigArgv(step.gpu);
    case StepKind::kResetGpu:
      return ResetGpuArgv(step.gpu);
  }
  return {};
}

Result<std::optional<Step>> NextStep(const Observation& observed, const History& history) {
  // Nothing is torn down under a running workload: every GPU is checked before the first step.
  for (const auto& gpu : observed.gpus) {
    if (NeedsIdleGpu(gpu) && !gpu.processes.empty()) {
      return InUse(gpu, fmt::format("{} with {} GPU instance(s) and {} compute instance(s) to clear is in use",
                                    Modes(gpu.info), gpu.gpu_instances.size(), gpu.compute_instances.size()));
    }
  }
  for (const auto& gpu : observed.gpus) {
    const auto steps = PlanGpu(gpu);
    if (steps.empty()) continue;
    const Step& step = steps.front().step;
    if (step.kind != StepKind::kResetGpu) return std::optional<Step>(step);
    // MIG is still on and the disable is pending: only a GPU reset (or a reboot) applies it.
    const int index = gpu.info.index;
    const auto pending = history.pending_reason.find(index);
    const std::string why_pending =
        pending == history.pending_reason.end() ? "" : fmt::format(" (nvidia-smi: \"{}\")", pending->second);
    if (const auto refused = history.reset_refused.find(index); refused != history.reset_refused.end()) {
      return errors::GpuRebootRequired(
          fmt::format("{}: MIG mode stays Enabled until the GPU is reset{}, and this "
                      "platform does not allow "
                      "a GPU reset (nvidia-smi -r: \"{}\"; GPU pass-through "
                      "virtualization): reboot the node, "
                      "which applies the pending disable, then `nodeboot run` verifies it",
                      Name(gpu.info), why_pending, refused->second));
    }
    if (history.reset.contains(index)) {
      return errors::GpuRebootRequired(
          fmt::format("{}: the GPU was reset and its MIG mode is still {}: only a reboot applies the "
                      "pending disable here; reboot the node, then `nodeboot run` verifies it",
                      Name(gpu.info), Modes(gpu.info)));
    }
    return std::optional<Step>(Step{step.kind, index, step.why + why_pending});
  }
  return std::optional<Step>();
}

std::vector<PlannedStep> PlanReset(const Observation& observed) {
  std::vector<PlannedStep> plan;
  for (const auto& gpu : observed.gpus) {
    for (auto& step : PlanGpu(gpu)) plan.push_back(std::move(step));
  }
  return plan;
}

std::vector<std::string> DescribeResetPlan(const Observation& observed) {
  std::vector<std::string> lines;
  for (const auto& gpu : observed.gpus) {
    const auto steps = PlanGpu(gpu);
    if (steps.empty()) continue;
    lines.push_back(fmt::format(
        "{}: {}, {}, {}, {}", Name(gpu.info), Modes(gpu.info), Plural(gpu.gpu_instances.size(), "GPU instance"),
        Plural(gpu.compute_instances.size(), "compute instance"),
        gpu.processes.empty() ? "no compute process" : "used by " + ProcessList(gpu.processes)));
    for (const auto& planned : steps) {
      lines.push_back(fmt::format("  {}: {}{}", FormatArgv(Argv(planned.step)), planned.step.why,
                                  planned.step.kind == StepKind::kResetGpu ? " (only when no process uses it)" : ""));
    }
  }
  return lines;
}

Status VerifyCleared(const Observation& observed) {
  std::vector<std::string> left;
  for (const auto& gpu : observed.gpus) {
    if (!gpu.HasMigState()) continue;
    left.push_back(fmt::format("{}: {}, {}, {}", Name(gpu.info), Modes(gpu.info),
                               Plural(gpu.gpu_instances.size(), "GPU instance"),
                               Plural(gpu.compute_instances.size(), "compute instance")));
  }
  if (left.empty()) return Ok();
  return errors::GpuMigResetFailed(fmt::format("MIG state is left after the reset: {}", fmt::join(left, "; ")));
}

namespace {

// One reset: the deadline, the runner, what it learned.
class Resetter {
 public:
  explicit Resetter(ResetContext& context) : context_(context), deadline_(context.now() + context.total) {}

  ResetOutcome Run() {
    auto observed = Observe();
    if (!observed) return {std::move(observed).error(), ""};
    if (auto why = WhyNothingToReset(*observed); !why.empty()) return {Ok(), why};
    for (const auto& line : DescribeResetPlan(*observed)) Note(line);
    if (context_.dry_run) return {DryRun(*observed), ""};

    // Each GPU needs at most four steps; more passes mean the GPUs do not converge.
    const size_t max_passes = 4 * observed->gpus.size() + 1;
    History history;
    std::string last;
    for (size_t pass = 0; pass < max_passes; ++pass) {
      auto next = NextStep(*observed, history);
      if (!next) return {std::move(next).error(), ""};
      if (!*next) {
        Status verified = VerifyCleared(*observed);
        if (verified) Note("MIG is disabled on every GPU and no GPU or compute instance is left");
        return {std::move(verified), ""};
      }
      const Step& step = **next;
      if (context_.stopping && context_.stopping()) {
        return {errors::GpuMigResetFailed(fmt::format("nodeboot is being stopped; not started: {}", step.why)), ""};
      }
      if (auto done = Do(step, *observed, history); !done) return {std::move(done).error(), ""};
      last = step.why;
      observed = Observe();
      if (!observed) return {std::move(observed).error(), ""};
    }
    return {errors::GpuMigResetFailed(
                fmt::format("the GPUs did not converge after {} steps (the last: {})", max_passes, last)),
            ""};
  }

 private:
  void Note(const std::string& line) {
    if (context_.note) context_.note(line);
  }

  Error TimedOut(std::string_view what) const {
    return errors::GpuMigResetTimeout(
        fmt::format("the MIG reset did not finish within gpu.resetTimeoutSeconds ({} s): {}",
                    std::chrono::duration_cast<std::chrono::seconds>(context_.total).count(), what));
  }

  // Runs one nvidia-smi command within the phase's deadline and its own limit. A start failure
  // comes back as the runner's Error; a timeout as exit 51 when the deadline passed, else 50.
  Result<CommandResult> Call(const std::vector<std::string>& argv, bool changes_system) {
    const std::string shown = FormatArgv(argv);
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline_ - context_.now());
    if (remaining <= milliseconds(0)) return TimedOut(fmt::format("{} was not started", shown));
    const milliseconds limit = changes_system ? context_.change_timeout : context_.read_timeout;
    Command command;
    command.argv = argv;
    command.changes_system = changes_system;
    command.timeout = std::min(limit, remaining);
    command.kill_grace = std::chrono::seconds(5);
    command.on_line = [this](OutputStream stream, std::string_view line) {
      Note(fmt::format("nvidia-smi {}: {}", stream == OutputStream::kStderr ? "stderr" : "stdout", line));
    };
    auto result = context_.runner.Run(command);
    if (!result) return errors::GpuMigResetFailed(fmt::format("{}: {}", shown, result.error().message));
    if (result->stopped_by != 0) {
      return errors::GpuMigResetFailed(fmt::format("{}: {}", shown, DescribeFailure(command, *result)));
    }
    // Not DescribeFailure's "timed out after": a command's own limit is worded apart from the
    // phase's deadline (TimedOut), which is the one that means exit 51.
    if (result->timed_out) {
      if (context_.now() >= deadline_) return TimedOut(fmt::format("{} was still running", shown));
      return errors::GpuMigResetFailed(
          fmt::format("{}: no answer within {} s; its process group was killed", shown,
                      std::chrono::duration_cast<std::chrono::seconds>(command.timeout).count()));
    }
    return result;
  }

  // A read: its output when it exits 0, or 6 where "nothing found" is an answer.
  Result<std::string> Read(const std::vector<std::string>& argv, bool not_found_is_empty) {
    NB_TRY_ASSIGN(CommandResult result, Call(argv, false));
    if (result.exit_code == 0 || (not_found_is_empty && result.exit_code == kExitNotFound)) return result.out;
    return errors::GpuMigResetFailed(
        fmt::format("{}: exit {}: {}", FormatArgv(argv), result.exit_code, result.FirstErrorLine()));
  }

  Result<Observation> Observe() {
    Observation observed;
    // No NVIDIA driver utilities on this node: a CPU-only node, not a failed start to log.
    if (!context_.runner.HasProgram(QueryGpusArgv().front())) {
      observed.unavailable = "nvidia-smi is not on PATH (no NVIDIA driver installed)";
      return observed;
    }
    NB_TRY_ASSIGN(CommandResult query, Call(QueryGpusArgv(), false));
    if (query.exit_code == kExitDriverNotLoaded || query.exit_code == kExitNotFound) {
      // The manual's return codes 9 ("NVIDIA driver is not loaded") and 6 ("A query to find an
      // object was unsuccessful": "No devices were found"): a node without a usable NVIDIA GPU.
      observed.unavailable =
          fmt::format("nvidia-smi finds no GPU it can manage (exit {}: {})", query.exit_code, query.FirstErrorLine());
      return observed;
    }
    if (query.exit_code != 0) {
      return errors::GpuMigResetFailed(
          fmt::format("{}: exit {}: {}", FormatArgv(QueryGpusArgv()), query.exit_code, query.FirstErrorLine()));
    }
    auto gpus = ParseGpuQuery(query.out);
    if (!gpus) return gpus.error();
    bool any_state = false;
    for (auto& info : *gpus) {
      GpuState gpu{info, {}, {}, {}};
      if (info.current == MigMode::kEnabled) {
        NB_TRY_ASSIGN(const std::string gis, Read(ListGpuInstancesArgv(info.index), true));
        NB_TRY_ASSIGN(gpu.gpu_instances, ParseGpuInstances(gis));
        NB_TRY_ASSIGN(const std::string cis, Read(ListComputeInstancesArgv(info.index), true));
        NB_TRY_ASSIGN(gpu.compute_instances, ParseComputeInstances(cis));
      }
      any_state = any_state || gpu.HasMigState();
      observed.gpus.push_back(std::move(gpu));
    }
    if (!any_state) return observed;
    NB_TRY_ASSIGN(const std::string apps, Read(QueryComputeAppsArgv(), true));
    NB_TRY_ASSIGN(const std::vector<GpuProcess> processes, ParseComputeApps(apps));
    for (const auto& process : processes) {
      GpuState* owner = nullptr;
      for (auto& gpu : observed.gpus) {
        if (gpu.info.uuid == process.gpu_uuid) owner = &gpu;
      }
      if (owner) {
        owner->processes.push_back(process);
        continue;
      }
      // A UUID that is no GPU's (a MIG device's, "MIG-..."): it may run on any GPU with MIG on.
      for (auto& gpu : observed.gpus) {
        if (gpu.HasMigState()) gpu.processes.push_back(process);
      }
    }
    return observed;
  }

  Status Do(const Step& step, const Observation& observed, History& history) {
    const auto argv = Argv(step);
    const std::string shown = FormatArgv(argv);
    Note(fmt::format("{}: {}", step.why, shown));
    NB_TRY_ASSIGN(CommandResult result, Call(argv, true));
    const std::string said = result.out + "\n" + result.err;
    const GpuState* gpu = Find(observed, step.gpu);
    if (step.kind == StepKind::kDisableMig) {
      bool pending = false;
      for (const auto& warning : ParsePendingWarnings(said)) {
        if (!gpu || warning.bus_id != gpu->info.bus_id) continue;
        history.pending_reason[step.gpu] = warning.reason;
        pending = true;
      }
      // nvidia-smi accepted the change and only could not apply it yet: the next observation
      // shows the pending disable, and the loop resets the GPU.
      if (pending) return Ok();
    }
    if (step.kind == StepKind::kResetGpu) {
      if (result.exit_code == 0) {
        history.reset.insert(step.gpu);
        return Ok();
      }
      if (SaysResetNotSupported(said)) {
        history.reset_refused[step.gpu] = result.FirstErrorLine();
        return Ok();  // the next step says a reboot is needed
      }
    }
    if (result.exit_code == 0) return Ok();
    if (SaysInUse(said) && gpu) {
      return InUse(*gpu, fmt::format("`{}` was refused: \"{}\"", shown, result.FirstErrorLine()));
    }
    return errors::GpuMigResetFailed(fmt::format("{}: exit {}: {}", shown, result.exit_code, result.FirstErrorLine()));
  }

  // One pass: the definite changes go to the dry-run runner, which prints them; a GPU that a
  // process uses stops it as it would stop the real run.
  Status DryRun(const Observation& observed) {
    if (auto next = NextStep(observed, {}); !next) return std::move(next).error();
    for (const auto& line : DescribeResetPlan(observed)) {
      if (context_.print) context_.print("gpu: " + line);
    }
    for (const auto& planned : PlanReset(observed)) {
      if (planned.conditional) continue;
      NB_TRY(Call(Argv(planned.step), true));
    }
    return Ok();
  }

  ResetContext& context_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

ResetOutcome ResetMig(ResetContext& context) { return Resetter(context).Run(); }

}  // namespace nodeboot::gpu
