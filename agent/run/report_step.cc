#include "agent/run/report_step.h"

#include <fmt/format.h>

#include "agent/base/logging.h"
#include "agent/base/shutdown.h"
#include "agent/report/catalog.h"
#include "agent/report/excerpt.h"
#include "agent/report/report.h"

namespace nodeboot::run {
namespace {

// The run as the report library sees it (agent/report does not know agent/run).
report::RunSummary Summarize(const config::NodeConfig& config, const Identity& identity, const RunRecord& run) {
  report::RunSummary summary;
  summary.task_id = config.task.id;
  summary.node_name = identity.node_name;
  summary.instance_id = identity.instance_id;
  summary.boot_id = run.boot_id;
  summary.run_id = run.run_id;
  summary.succeeded = run.status == RunStatus::kSucceeded;
  summary.exit_code = run.ExitCode().value_or(exit_code::kInternal);
  if (const PhaseRecord* failed = run.FailedPhase()) {
    summary.failed_phase = failed->name;
    summary.error_code = failed->error_code;
    summary.error_message = failed->error_message;
    summary.step_output = failed->output;
  } else if (run.stopped_by != 0) {
    summary.error_code = errors::kInterrupted.code;
    summary.error_message = fmt::format("nodeboot was stopped ({}) between phases", SignalName(run.stopped_by));
  }
  for (const auto& phase : run.phases) {
    summary.phases.push_back({phase.name, std::string(ToString(phase.status)), phase.started_at, phase.duration_ms});
  }
  summary.agent_version = NODEBOOT_VERSION;
  return summary;
}

// What became of a report, as state.json and `status` say it. `by` names who delivered it when
// that was not the run itself.
ReportRecord RecordFor(const report::DeliveryResult& delivery, const report::Outbox& outbox, const std::string& url,
                       const std::string& run_id, std::string_view by = {}) {
  switch (delivery.outcome) {
    case report::DeliveryOutcome::kDelivered:
      return {ReportStatus::kDelivered, fmt::format("delivered to {} ({} attempt{}{})", url, delivery.attempts,
                                                    delivery.attempts == 1 ? "" : "s", by)};
    case report::DeliveryOutcome::kRejected:
      return {ReportStatus::kFailed, fmt::format("refused, not retried: {}; kept as {}", delivery.detail,
                                                 (outbox.dir() / (run_id + ".rejected.json")).string())};
    case report::DeliveryOutcome::kPending:
      break;
  }
  return {ReportStatus::kPending,
          fmt::format("not delivered: {}; waiting in {} for `nodeboot report --flush` or the next run", delivery.detail,
                      outbox.dir().string())};
}

}  // namespace

ReportRecord ReportStep(const config::NodeConfig& config, const Paths& paths, const Identity& identity,
                        const RunRecord& run, CommandRunner& runner, Host& host) {
  if (!config.task.enabled()) {
    return {ReportStatus::kNotConfigured, "no task.url: the result stays in state.json and `status`"};
  }
  const auto stop_signal = host.stop_signal;
  const auto catalog = report::LoadCatalog(paths);
  for (const auto& warning : catalog.warnings) log::Warn("error catalog: {}", warning);
  std::vector<std::string> system_log;
  if (run.status != RunStatus::kSucceeded && stop_signal() == 0) {
    report::ExcerptStats stats;
    system_log = report::SystemLogLines(paths, &runner, {}, &stats);
    if (!stats.problem.empty()) {
      log::Warn("report: no system log lines in the excerpt: {}", stats.problem);
    }
  }
  const ThoroughRedactor redactor(config.SecretValues());
  const std::string body = report::SerializeReport(
      report::BuildReport(Summarize(config, identity, run), system_log, catalog.catalog, redactor));

  const report::Outbox outbox(paths.Host(Paths::kOutboxDir));
  auto put = outbox.Put(run.run_id, body);
  if (put && stop_signal() != 0) {
    return {
        ReportStatus::kPending,
        fmt::format("nodeboot was stopped ({}); the report waits in {} for `nodeboot report --flush` or the next run",
                    SignalName(stop_signal()), outbox.dir().string())};
  }
  const auto target = report::TargetFromConfig(config.task, paths);
  const auto policy = report::PolicyFromConfig(config.task);
  auto clock = host.delivery_clock;
  clock.stopped = [&stop_signal] { return stop_signal() != 0; };
  if (!put) {
    // Without the outbox the report lives only in this process: still worth one delivery.
    log::Error("report: {}", put.error().message);
    auto delivery = report::Deliver(host.http, target, body, run.run_id, policy, clock, clock.now() + policy.budget);
    if (delivery.outcome == report::DeliveryOutcome::kDelivered) {
      return RecordFor(delivery, outbox, target.url, run.run_id);
    }
    return {ReportStatus::kFailed,
            fmt::format("not delivered ({}) and not kept: {}", delivery.detail, put.error().message)};
  }
  const auto flushed = report::FlushOutbox(outbox, host.http, target, policy, clock, run.run_id);
  for (const auto& problem : flushed.problems) log::Error("report: {}", problem);
  const auto mine = flushed.by_run.find(run.run_id);
  if (mine == flushed.by_run.end()) {
    return {ReportStatus::kPending, fmt::format("waiting in {}: the outbox could not be read", outbox.dir().string())};
  }
  ReportRecord record = RecordFor(mine->second, outbox, target.url, run.run_id);
  if (flushed.by_run.size() > 1) {
    record.detail += fmt::format("; older reports: {} delivered, {} refused, {} still waiting",
                                 flushed.delivered - (record.status == ReportStatus::kDelivered ? 1 : 0),
                                 flushed.rejected - (record.status == ReportStatus::kFailed ? 1 : 0), flushed.pending);
  }
  log::Info("report {}: {}: {}", run.run_id, ToString(record.status), record.detail);
  return record;
}

void RecordFlushedReports(const Paths& paths, const report::Outbox& outbox, const report::FlushResult& flushed,
                          const std::string& url, const Redactor& redactor) {
  auto state = ReadState(paths);
  if (!state) {
    log::Error("state: {}", state.error().message);
    return;
  }
  if (!*state || !(*state)->last_run) return;
  RunRecord& last = *(*state)->last_run;
  const auto it = flushed.by_run.find(last.run_id);
  // Still waiting: the record already says so, with the run's own reason.
  if (it == flushed.by_run.end() || it->second.outcome == report::DeliveryOutcome::kPending) return;
  last.report = RecordFor(it->second, outbox, url, last.run_id, " by `nodeboot report --flush`");
  last.report.detail = redactor.Redact(last.report.detail);
  if (auto saved = SaveState(paths, **state); !saved) log::Error("state: {}", saved.error().message);
}

}  // namespace nodeboot::run
