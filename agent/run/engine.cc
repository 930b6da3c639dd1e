#include "agent/run/engine.h"

#include <fmt/format.h>

#include <chrono>

#include "agent/base/logging.h"
#include "agent/base/time_format.h"

namespace nodeboot::run {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Why the engine does not run `name`, or "" when it does.
std::string WhyNotRun(const Phase& phase, const PhaseContext& context, const Selection& selection, const State& state) {
  const std::string name(phase.name());
  if (!selection.only.empty() && !selection.only.contains(name)) return "not selected (--only)";
  if (selection.skip.contains(name)) return "skipped by --skip";
  if (auto why = phase.NothingToDo(context.config); !why.empty()) return why;
  if (state.Succeeded(name)) {
    const auto& done = state.phases.at(name);
    if (phase.is_script() && !selection.rerun_scripts) {
      return fmt::format("already succeeded on this instance at {} (--rerun-scripts runs it again)", done.started_at);
    }
    if (!phase.is_script() && !selection.repair) {
      return fmt::format("already succeeded on this instance at {} (--repair re-checks it)", done.started_at);
    }
  }
  return "";
}

}  // namespace

RunRecord RunPhases(const std::vector<std::unique_ptr<Phase>>& phases, PhaseContext& context,
                    const Selection& selection, State& state) {
  RunRecord run;
  run.run_id = context.identity.run_id;
  run.boot_id = context.identity.boot_id;
  run.started_at = FormatUtc(std::chrono::system_clock::now());
  const auto run_start = Clock::now();
  bool failed = false;

  for (const auto& phase : phases) {
    PhaseRecord record;
    record.name = std::string(phase->name());
    if (failed) {
      record.status = "not-run";
      record.reason = fmt::format("phase {} failed", run.failed_phase);
      run.phases.push_back(std::move(record));
      continue;
    }
    if (auto why = WhyNotRun(*phase, context, selection, state); !why.empty()) {
      record.status = "skipped";
      record.reason = why;
      log::Info("phase {}: skipped: {}", record.name, why);
      run.phases.push_back(std::move(record));
      continue;
    }
    log::Info("phase {}: start", record.name);
    record.started_at = FormatUtc(std::chrono::system_clock::now());
    record.run_id = run.run_id;
    const auto start = Clock::now();
    PhaseOutcome outcome = phase->Run(context);
    record.duration_ms = MillisSince(start);
    record.output = std::move(outcome.output);
    if (outcome.status) {
      record.status = "succeeded";
      log::Info("phase {}: succeeded in {} ms", record.name, record.duration_ms);
    } else {
      const Error& error = outcome.status.error();
      record.status = "failed";
      record.exit_code = error.exit_code;
      record.error_code = error.code;
      record.error_message = error.message;
      log::Error("phase {}: failed after {} ms: {}", record.name, record.duration_ms, error.message);
      failed = true;
      run.failed_phase = record.name;
      run.exit_code = error.exit_code;
      run.error_code = error.code;
      run.error_message = error.message;
    }
    state.phases[record.name] = record;
    run.phases.push_back(std::move(record));
  }
  run.status = failed ? "failed" : "succeeded";
  run.finished_at = FormatUtc(std::chrono::system_clock::now());
  run.duration_ms = MillisSince(run_start);
  return run;
}

}  // namespace nodeboot::run
