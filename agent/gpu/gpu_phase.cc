#include "agent/gpu/gpu_phase.h"

#include <fmt/format.h>

#include "agent/base/logging.h"
#include "agent/base/output.h"
#include "agent/base/output_tail.h"
#include "agent/gpu/mig_reset.h"

namespace nodeboot::gpu {
namespace {

class GpuPhase : public run::Phase {
 public:
  explicit GpuPhase(GpuEnvironment environment) : environment_(std::move(environment)) {}

  std::string_view name() const override { return "gpu"; }
  bool is_script() const override { return false; }
  bool needs_node_services() const override { return false; }
  std::string NothingToDo(const config::NodeConfig& config) const override {
    return config.gpu.mig_reset == config::MigReset::kNever ? "gpu.migReset is never" : "";
  }

  run::PhaseOutcome Run(run::PhaseContext& context) override {
    OutputTail tail;
    ResetContext reset{context.runner, std::chrono::seconds(context.config.gpu.reset_timeout_seconds)};
    reset.read_timeout = environment_.read_timeout;
    reset.change_timeout = environment_.change_timeout;
    reset.now = environment_.now;
    reset.note = [&tail](const std::string& line) {
      log::Info("gpu: {}", line);
      tail.Add(line);
    };
    reset.stopping = context.stopping;
    reset.dry_run = context.dry_run;
    reset.print = environment_.print ? environment_.print : [](const std::string& line) { PrintLine(line); };
    ResetOutcome outcome = ResetMig(reset);
    run::PhaseOutcome result{std::move(outcome.status), tail.Lines()};
    result.skipped = std::move(outcome.skipped);
    return result;
  }

 private:
  GpuEnvironment environment_;
};

}  // namespace

std::unique_ptr<run::Phase> MakeGpuPhase(GpuEnvironment environment) {
  return std::make_unique<GpuPhase>(std::move(environment));
}

}  // namespace nodeboot::gpu
