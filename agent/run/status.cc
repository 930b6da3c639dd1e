#include "agent/run/status.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/base/lock.h"
#include "agent/base/shutdown.h"
#include "agent/report/outbox.h"
#include "agent/run/progress.h"
#include "agent/run/state.h"

namespace nodeboot::run {

int PrintStatus(const std::string& root, bool json, bool wait) {
  const Paths paths(root);
  if (wait) {
    // A run holds the lock from before its first phase to after its report: once it is free,
    // state.json holds the run's end.
    while (RunLock::IsHeld(paths.Host(Paths::kLockFile))) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto stored = ReadState(paths);
  if (!stored) {
    fmt::print(stderr, "nodeboot status: {}\n", stored.error().message);
    return exit_code::kInternal;
  }
  if (!*stored || !(*stored)->last_run) {
    if (json)
      fmt::print("{{\"lastRun\":null}}\n");
    else
      fmt::print("nodeboot has not run on this node ({} does not exist)\n", paths.Host(Paths::kStateFile).string());
    return exit_code::kInternal;
  }
  State& state = **stored;
  // A run the file shows running is in progress while it holds the lock, else it died.
  const bool locked = RunLock::IsHeld(paths.Host(Paths::kLockFile));
  if (!locked) MarkDeadRunInterrupted(state);
  const RunRecord& run = *state.last_run;
  // What it is doing now: the progress file of this very run (a killed run's file names
  // another run id, or is gone with the reboot).
  std::optional<Progress> progress;
  if (locked && run.status == RunStatus::kRunning) {
    if (auto read = ReadProgress(paths.Host(Paths::kProgressFile)); !read) {
      fmt::print(stderr, "nodeboot status: {}\n", read.error().message);
    } else if (*read && (*read)->run_id == run.run_id) {
      progress = std::move(*read);
    }
  }
  // Reports set aside are no one's job any more: `status` is where an operator sees them.
  const report::Outbox outbox(paths.Host(Paths::kOutboxDir));
  const auto aside = outbox.Aside();
  if (json) {
    auto j = nlohmann::json::parse(ToJson(state));
    j["outboxAside"] = {{"rejected", aside.rejected}, {"expired", aside.expired}, {"unsafe", aside.unsafe}};
    j["inProgress"] = progress ? nlohmann::json::parse(ProgressToJson(*progress)) : nlohmann::json();
    fmt::print("{}\n", j.dump(2));
    return wait ? run.ExitCode().value_or(exit_code::kInternal) : exit_code::kOk;
  }
  fmt::print("node {}  instance {}\n", state.node_name, state.instance_id);
  fmt::print("last run {}  started {}  {} ms\n", run.run_id, run.started_at, run.duration_ms);
  for (const auto& phase : run.phases) {
    std::string line = fmt::format("  {:<12} {:<11}", phase.name, ToString(phase.status));
    if (!phase.started_at.empty()) line += fmt::format(" {:>8} ms", phase.duration_ms);
    if (!phase.reason.empty()) line += "  " + phase.reason;
    if (!phase.error_message.empty() && phase.reason.empty()) line += "  " + phase.error_message;
    if (phase.reboot_requested) line += "  (asked for a reboot)";
    fmt::print("{}\n", line);
  }
  const auto exit = run.ExitCode();
  fmt::print("result {}  exit code {}\n", ToString(run.status),
             exit                                ? std::to_string(*exit)
             : run.status == RunStatus::kRunning ? "- (in progress)"
                                                 : "unknown");
  if (progress) {
    fmt::print("in progress: {} since {}\n", progress->phase == "report" ? "the report" : "phase " + progress->phase,
               progress->phase_since);
    if (!progress->step.empty()) fmt::print("  step {} since {}\n", progress->step, progress->step_since);
  }
  if (run.stopped_by != 0) fmt::print("stopped by {}\n", SignalName(run.stopped_by));
  if (const PhaseRecord* failed = run.FailedPhase(); failed && !failed->error_code.empty()) {
    fmt::print("error {}: {}\n", failed->error_code, failed->error_message);
  }
  fmt::print("report {}: {}\n", ToString(run.report.status), run.report.detail);
  if (aside.rejected + aside.expired + aside.unsafe > 0) {
    fmt::print("outbox: {} refused, {} expired, {} unsafe report file(s) set aside in {}\n", aside.rejected,
               aside.expired, aside.unsafe, outbox.dir().string());
  }
  for (const auto& warning : run.warnings) fmt::print("warning: {}\n", warning);
  return wait ? run.ExitCode().value_or(exit_code::kInternal) : exit_code::kOk;
}

}  // namespace nodeboot::run
