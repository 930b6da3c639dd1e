#include "agent/run/engine.h"

#include <fmt/format.h>

#include <chrono>

#include "agent/base/logging.h"
#include "agent/base/shutdown.h"
#include "agent/base/time_format.h"

namespace nodeboot::run {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string Now() { return FormatUtc(std::chrono::system_clock::now()); }

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

void Fail(PhaseRecord& record, const Error& error, const Redactor& redactor) {
  record.exit_code = error.exit_code;
  record.error_code = error.code;
  record.error_message = redactor.Redact(error.message);
}

}  // namespace

RunRecord RunPhases(const std::vector<std::unique_ptr<Phase>>& phases, PhaseContext& context,
                    const Selection& selection, State& state, const RunHooks& hooks) {
  const Redactor& redactor = hooks.redactor;
  RunRecord& run = state.last_run.emplace();
  run.run_id = context.identity.run_id;
  run.boot_id = context.identity.boot_id;
  run.started_at = Now();
  run.status = RunStatus::kRunning;
  const auto run_start = Clock::now();
  auto checkpoint = [&]() -> Status { return hooks.checkpoint ? hooks.checkpoint(state) : Ok(); };
  auto stop_signal = [&]() { return hooks.stop_signal ? hooks.stop_signal() : 0; };
  std::string halted;  // why the phases from here on do not run
  bool failed = false;
  bool rebooting = false;
  bool node_services_told = false;

  for (const auto& phase : phases) {
    PhaseRecord record;
    record.name = std::string(phase->name());
    log::SetPhase(record.name);  // NODEBOOT_PHASE of this phase's lines (its commands' too)
    if (halted.empty()) {
      if (const int signal = stop_signal(); signal != 0) {
        run.stopped_by = signal;
        halted = fmt::format("nodeboot was stopped ({})", SignalName(signal));
      }
    }
    if (!halted.empty()) {
      record.status = PhaseStatus::kNotRun;
      record.reason = halted;
      run.phases.push_back(std::move(record));
      continue;
    }
    if (phase->needs_node_services() && !node_services_told) {
      node_services_told = true;
      if (hooks.node_services_may_start) hooks.node_services_may_start(record.name);
    }
    if (auto why = WhyNotRun(*phase, context, selection, state); !why.empty()) {
      record.status = PhaseStatus::kSkipped;
      record.reason = redactor.Redact(why);
      log::Announce(log::Level::kInfo, {}, fmt::format("phase {}: skipped: {}", record.name, why));
      run.phases.push_back(std::move(record));
      continue;
    }
    record.started_at = Now();
    record.run_id = run.run_id;
    if (phase->is_script() && state.Interrupted(record.name) && !selection.rerun_scripts) {
      // The script may have done part of its work (or all of it, and ended in `reboot`):
      // running it again blindly could do it twice. The operator decides.
      const PhaseRecord& last = state.phases.at(record.name);
      record.status = PhaseStatus::kFailed;
      Fail(record,
           phase->InterruptedError(fmt::format(
               "{} was interrupted at {} (run {}: {}) and is not run again by itself, since it may have done part "
               "of its work; check the node, then `nodeboot run --rerun-scripts` runs it again (a script that "
               "needs a reboot asks nodeboot for it: README \"Scripts\")",
               record.name, last.started_at, last.run_id, last.error_message)),
           redactor);
      log::Announce(log::Level::kError, record.error_code,
                    fmt::format("phase {}: {}", record.name, record.error_message));
      failed = true;
      halted = fmt::format("phase {} failed", record.name);
      run.phases.push_back(std::move(record));
      continue;
    }

    // Recorded before it starts: if nodeboot dies in this phase, the next run knows.
    record.status = PhaseStatus::kRunning;
    const std::optional<PhaseRecord> before =
        state.phases.contains(record.name) ? std::optional(state.phases.at(record.name)) : std::nullopt;
    state.phases[record.name] = record;
    run.phases.push_back(record);
    if (auto saved = checkpoint(); !saved) {
      if (before)
        state.phases[record.name] = *before;
      else
        state.phases.erase(record.name);
      record.status = PhaseStatus::kFailed;
      Fail(record,
           Error::Internal(fmt::format("not started: its start could not be recorded: {}", saved.error().message)),
           redactor);
      log::Announce(log::Level::kError, record.error_code,
                    fmt::format("phase {}: {}", record.name, record.error_message));
      run.phases.back() = std::move(record);
      failed = true;
      halted = fmt::format("phase {} failed", run.phases.back().name);
      continue;
    }

    log::Announce(log::Level::kInfo, {}, fmt::format("phase {}: start", record.name));
    if (hooks.phase_started) hooks.phase_started(record.name);
    const auto start = Clock::now();
    PhaseOutcome outcome = phase->Run(context);
    record.duration_ms = MillisSince(start);
    for (auto& line : outcome.output) record.output.push_back(redactor.Redact(line));
    if (outcome.status && !outcome.skipped.empty()) {
      record.status = PhaseStatus::kSkipped;
      record.reason = redactor.Redact(outcome.skipped);
      log::Announce(log::Level::kInfo, {}, fmt::format("phase {}: skipped: {}", record.name, record.reason));
    } else if (outcome.status) {
      record.status = PhaseStatus::kSucceeded;
      record.reboot_requested = outcome.reboot_requested;
      log::Announce(log::Level::kInfo, {},
                    fmt::format("phase {}: succeeded in {} ms{}", record.name, record.duration_ms,
                                outcome.reboot_requested ? "; it asks for a reboot" : ""));
      if (outcome.reboot_requested) {
        rebooting = true;
        halted = fmt::format("after the reboot {} asked for (the next boot's run goes on)", record.name);
      }
    } else {
      const int signal = stop_signal();
      record.status = signal != 0 ? PhaseStatus::kInterrupted : PhaseStatus::kFailed;
      Fail(record, outcome.status.error(), redactor);
      if (signal != 0) {
        run.stopped_by = signal;
        halted = fmt::format("nodeboot was stopped ({})", SignalName(signal));
        log::Announce(log::Level::kError, record.error_code,
                      fmt::format("phase {}: interrupted after {} ms ({}): {}", record.name, record.duration_ms,
                                  SignalName(signal), record.error_message));
      } else {
        failed = true;
        halted = fmt::format("phase {} failed", record.name);
        log::Announce(
            log::Level::kError, record.error_code,
            fmt::format("phase {}: failed after {} ms: {}", record.name, record.duration_ms, record.error_message));
      }
    }
    const bool keep_last_outcome = outcome.not_started || record.status == PhaseStatus::kSkipped;
    if (keep_last_outcome && before)
      state.phases[record.name] = *before;
    else if (keep_last_outcome)
      state.phases.erase(record.name);
    else
      state.phases[record.name] = record;
    run.phases.back() = std::move(record);
    if (auto saved = checkpoint(); !saved) log::Error("state: {}", saved.error().message);
  }
  log::SetPhase("");
  run.status = run.stopped_by != 0 ? RunStatus::kInterrupted
               : failed            ? RunStatus::kFailed
               : rebooting         ? RunStatus::kRebooting
                                   : RunStatus::kSucceeded;
  run.finished_at = Now();
  run.duration_ms = MillisSince(run_start);
  return run;
}

}  // namespace nodeboot::run
