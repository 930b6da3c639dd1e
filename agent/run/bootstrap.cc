#include "agent/run/bootstrap.h"

#include <fmt/format.h>

#include <cstdio>

#include "agent/base/host_files.h"
#include "agent/base/http_client.h"
#include "agent/base/lock.h"
#include "agent/base/logged_command_runner.h"
#include "agent/base/logging.h"
#include "agent/base/redact.h"
#include "agent/config/load.h"
#include "agent/report/catalog.h"
#include "agent/report/excerpt.h"
#include "agent/report/flush.h"
#include "agent/report/report.h"
#include "agent/run/engine.h"
#include "agent/run/identity.h"
#include "agent/run/phases.h"
#include "agent/run/state.h"

namespace nodeboot::run {
namespace {

// The run as the report library sees it (agent/report does not know agent/run).
report::RunSummary Summarize(const config::NodeConfig& config, const Identity& identity,
                             const RunRecord& run) {
  report::RunSummary summary;
  summary.task_id = config.task.id;
  summary.node_name = identity.node_name;
  summary.instance_id = identity.instance_id;
  summary.boot_id = run.boot_id;
  summary.run_id = run.run_id;
  summary.succeeded = run.status == "succeeded";
  summary.failed_phase = run.failed_phase;
  summary.exit_code = run.exit_code;
  summary.error_code = run.error_code;
  summary.error_message = run.error_message;
  for (const auto& phase : run.phases) {
    summary.phases.push_back({phase.name, phase.status, phase.started_at, phase.duration_ms});
    if (phase.name == run.failed_phase) summary.step_output = phase.output;
  }
  summary.agent_version = NODEBOOT_VERSION;
  return summary;
}

ReportRecord RecordFor(const report::DeliveryResult& delivery, const report::Outbox& outbox,
                       const std::string& url, const std::string& run_id) {
  switch (delivery.outcome) {
    case report::DeliveryOutcome::kDelivered:
      return {"delivered", fmt::format("delivered to {} ({} attempt{})", url, delivery.attempts,
                                       delivery.attempts == 1 ? "" : "s")};
    case report::DeliveryOutcome::kRejected:
      return {"failed", fmt::format("refused, not retried: {}; kept as {}", delivery.detail,
                                    (outbox.dir() / (run_id + ".rejected.json")).string())};
    case report::DeliveryOutcome::kPending:
      break;
  }
  return {
      "pending",
      fmt::format("not delivered: {}; waiting in {} for `nodeboot report --flush` or the next run",
                  delivery.detail, outbox.dir().string())};
}

// The report step (SPEC §7). The report goes into the outbox before the first attempt, so a
// crash, a reboot or an unreachable service loses nothing; then the outbox is flushed - this
// run's report first, then older ones - within deliverySeconds.
ReportRecord ReportStep(const config::NodeConfig& config, const Paths& paths,
                        const Identity& identity, const RunRecord& run, CommandRunner& runner) {
  if (!config.task.enabled()) {
    return {"not-configured", "no task.url: the result stays in state.json and `status`"};
  }
  const auto catalog = report::LoadCatalog(paths);
  for (const auto& warning : catalog.warnings) log::Warn("error catalog: {}", warning);
  std::vector<std::string> system_log;
  if (run.status != "succeeded") {
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
  auto client = MakeCurlHttpClient();
  const auto target = report::TargetFromConfig(config.task, paths);
  const auto policy = report::PolicyFromConfig(config.task);
  const auto clock = report::RealDeliveryClock();
  if (auto put = outbox.Put(run.run_id, body); !put) {
    // Without the outbox the report lives only in this process: still worth one delivery.
    log::Error("report: {}", put.error().message);
    auto delivery = report::Deliver(*client, target, body, run.run_id, policy, clock,
                                    clock.now() + policy.budget);
    if (delivery.outcome == report::DeliveryOutcome::kDelivered) {
      return RecordFor(delivery, outbox, target.url, run.run_id);
    }
    return {"failed", fmt::format("not delivered ({}) and not kept: {}", delivery.detail,
                                  put.error().message)};
  }
  const auto flushed = report::FlushOutbox(outbox, *client, target, policy, clock, run.run_id);
  for (const auto& problem : flushed.problems) log::Error("report: {}", problem);
  const auto mine = flushed.by_run.find(run.run_id);
  if (mine == flushed.by_run.end()) {
    return {"pending",
            fmt::format("waiting in {}: the outbox could not be read", outbox.dir().string())};
  }
  ReportRecord record = RecordFor(mine->second, outbox, target.url, run.run_id);
  if (flushed.by_run.size() > 1) {
    record.detail +=
        fmt::format("; older reports: {} delivered, {} refused, {} still waiting",
                    flushed.delivered - (record.status == "delivered" ? 1 : 0),
                    flushed.rejected - (record.status == "failed" ? 1 : 0), flushed.pending);
  }
  log::Info("report {}: {}: {}", run.run_id, record.status, record.detail);
  return record;
}

}  // namespace

int Bootstrap(const BootstrapOptions& options) {
  const Paths paths(options.root);

  // 1. The config, all of it checked before anything runs or changes (exit 2).
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, options.config));
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) fmt::print(stderr, "nodeboot: config: {}\n", error.ToString());
    return exit_code::kInvalidConfig;
  }
  const config::NodeConfig& config = loaded.config;
  auto identity = ResolveIdentity(config, paths);
  if (!identity) {
    fmt::print(stderr, "nodeboot: config: {}\n", identity.error().message);
    return identity.error().exit_code;
  }

  // 2. Logs: stderr always; the log file and syslog only for a run that changes the node (a
  //    dry run changes nothing, and a --root run is a test or an image build, not this host).
  log::Init({.to_stderr = true,
             .file = options.dry_run ? std::filesystem::path() : paths.Host(Paths::kLogFile),
             .to_syslog = !options.dry_run && options.root == "/"});
  // Secrets are masked also in base64 form: a script that dumps its config encoded, a
  // kubeconfig's *-data fields.
  log::SetSecrets(WithBase64Forms(config.SecretValues()));
  const Redactor redactor(WithBase64Forms(config.SecretValues()));
  auto print = [&redactor](const std::string& line) { fmt::print("{}\n", redactor.Redact(line)); };

  // 3. One run at a time (exit 3). A dry run takes no lock: it changes nothing.
  std::optional<RunLock> lock;
  if (!options.dry_run) {
    auto acquired = RunLock::Acquire(paths.Host(Paths::kLockFile));
    if (!acquired) {
      log::Error("{}", acquired.error().message);
      return acquired.error().exit_code;
    }
    lock.emplace(std::move(*acquired));
  }

  // 4. What this instance has done before; another instance's state is discarded.
  auto state = LoadState(paths, identity->instance_id);
  if (!state) {
    log::Error("{}", state.error().message);
    return state.error().exit_code;
  }
  state->node_name = identity->node_name;
  log::Info("run {}: node {}, instance {}{}{}", identity->run_id, identity->node_name, identity->instance_id,
            options.repair ? ", repair" : "", options.dry_run ? ", dry run" : "");

  // 5. The phases, with the real or the dry-run side effects.
  // The log sits between the dry run and the real runner: it records what really ran (the
  // dry run's reads), never a command the dry run only printed.
  auto real_runner = MakeRealCommandRunner();
  auto logged_runner = MakeLoggedCommandRunner(*real_runner);
  auto dry_runner = MakeDryRunCommandRunner(*logged_runner, print);
  CommandRunner& runner = options.dry_run ? *dry_runner : *logged_runner;
  auto files = options.dry_run ? MakeDryRunHostFiles(paths, print) : MakeRealHostFiles(paths);
  PhaseContext context{config, *identity, paths, runner, *files, options.repair, options.dry_run};
  const Selection selection{options.only, options.skip, options.repair, options.rerun_scripts};
  RunRecord run = RunPhases(StandardPhases(), context, selection, *state);

  // 6. The report step always runs, on failure too; a dry run sends nothing.
  run.report = options.dry_run ? ReportRecord{"not-sent", "dry run"}
                               : ReportStep(config, paths, *identity, run, runner);
  log::Info("run {}: {} with exit code {} in {} ms", run.run_id, run.status, run.exit_code, run.duration_ms);

  // 7. Remember it (atomically). A dry run remembers nothing.
  if (!options.dry_run) {
    for (auto& phase : run.phases) {
      for (auto& line : phase.output) line = redactor.Redact(line);
    }
    for (auto& [name, phase] : state->phases) {
      for (auto& line : phase.output) line = redactor.Redact(line);
      phase.error_message = redactor.Redact(phase.error_message);
    }
    for (auto& phase : run.phases) phase.error_message = redactor.Redact(phase.error_message);
    run.error_message = redactor.Redact(run.error_message);
    state->last_run = run;
    if (auto saved = SaveState(paths, *state); !saved) {
      log::Error("state: {}", saved.error().message);
      return run.exit_code != 0 ? run.exit_code : exit_code::kInternal;
    }
  }
  return run.exit_code;
}

int PrintStatus(const std::string& root, bool json) {
  const Paths paths(root);
  auto stored = ReadState(paths);
  if (!stored) {
    fmt::print(stderr, "nodeboot status: {}\n", stored.error().message);
    return exit_code::kInternal;
  }
  if (!*stored || !(*stored)->last_run) {
    if (json) fmt::print("{{\"lastRun\":null}}\n");
    else fmt::print("nodeboot has not run on this node ({} does not exist)\n", paths.Host(Paths::kStateFile).string());
    return exit_code::kInternal;
  }
  const State& state = **stored;
  const RunRecord& run = *state.last_run;
  if (json) {
    fmt::print("{}", ToJson(state));
    return exit_code::kOk;
  }
  fmt::print("node {}  instance {}\n", state.node_name, state.instance_id);
  fmt::print("last run {}  started {}  {} ms\n", run.run_id, run.started_at, run.duration_ms);
  for (const auto& phase : run.phases) {
    std::string line = fmt::format("  {:<12} {:<10}", phase.name, phase.status);
    if (!phase.started_at.empty()) line += fmt::format(" {:>8} ms", phase.duration_ms);
    if (!phase.reason.empty()) line += "  " + phase.reason;
    if (!phase.error_message.empty() && phase.reason.empty()) line += "  " + phase.error_message;
    fmt::print("{}\n", line);
  }
  fmt::print("result {}  exit code {}\n", run.status, run.exit_code);
  if (!run.error_code.empty()) fmt::print("error {}: {}\n", run.error_code, run.error_message);
  fmt::print("report {}: {}\n", run.report.status, run.report.detail);
  return exit_code::kOk;
}

}  // namespace nodeboot::run
