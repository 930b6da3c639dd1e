#include "agent/run/bootstrap.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/base/host_files.h"
#include "agent/base/http_client.h"
#include "agent/base/lock.h"
#include "agent/base/logged_command_runner.h"
#include "agent/base/logging.h"
#include "agent/base/redact.h"
#include "agent/base/service_manager.h"
#include "agent/base/shutdown.h"
#include "agent/config/load.h"
#include "agent/report/catalog.h"
#include "agent/report/excerpt.h"
#include "agent/report/flush.h"
#include "agent/report/outbox.h"
#include "agent/report/report.h"
#include "agent/run/engine.h"
#include "agent/run/identity.h"
#include "agent/run/phases.h"
#include "agent/run/progress.h"
#include "agent/run/state.h"
#include "agent/run/textfile.h"

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
    summary.error_code = "NB-INTERRUPTED";
    summary.error_message = fmt::format("nodeboot was stopped ({}) between phases", SignalName(run.stopped_by));
  }
  for (const auto& phase : run.phases) {
    summary.phases.push_back({phase.name, std::string(ToString(phase.status)), phase.started_at, phase.duration_ms});
  }
  summary.agent_version = NODEBOOT_VERSION;
  return summary;
}

ReportRecord RecordFor(const report::DeliveryResult& delivery, const report::Outbox& outbox, const std::string& url,
                       const std::string& run_id) {
  switch (delivery.outcome) {
    case report::DeliveryOutcome::kDelivered:
      return {ReportStatus::kDelivered,
              fmt::format("delivered to {} ({} attempt{})", url, delivery.attempts, delivery.attempts == 1 ? "" : "s")};
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

// The report step (SPEC §7). The report goes into the outbox before the first attempt, so a
// crash, a reboot or an unreachable service loses nothing; then the outbox is flushed - this
// run's report first, then older ones - within deliverySeconds. A run being stopped only
// leaves its report in the outbox: the stop timeout has no room for a delivery.
ReportRecord ReportStep(const config::NodeConfig& config, const Paths& paths, const Identity& identity,
                        const RunRecord& run, CommandRunner& runner, const std::function<int()>& stop_signal) {
  if (!config.task.enabled()) {
    return {ReportStatus::kNotConfigured, "no task.url: the result stays in state.json and `status`"};
  }
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
  auto client = MakeCurlHttpClient();
  const auto target = report::TargetFromConfig(config.task, paths);
  const auto policy = report::PolicyFromConfig(config.task);
  auto clock = report::RealDeliveryClock();
  clock.stopped = [&stop_signal] { return stop_signal() != 0; };
  if (!put) {
    // Without the outbox the report lives only in this process: still worth one delivery.
    log::Error("report: {}", put.error().message);
    auto delivery = report::Deliver(*client, target, body, run.run_id, policy, clock, clock.now() + policy.budget);
    if (delivery.outcome == report::DeliveryOutcome::kDelivered) {
      return RecordFor(delivery, outbox, target.url, run.run_id);
    }
    return {ReportStatus::kFailed,
            fmt::format("not delivered ({}) and not kept: {}", delivery.detail, put.error().message)};
  }
  const auto flushed = report::FlushOutbox(outbox, *client, target, policy, clock, run.run_id);
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

// A file holding tokens that users other than root can read: worth a warning on every run
// (the cloud-init example writes 0600; an image or a hand-written config may not).
void WarnIfReadableByOthers(const std::filesystem::path& file, std::string_view what,
                            std::vector<std::string>& warnings) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 0044) == 0) return;
  warnings.push_back(
      fmt::format("{} {} is readable by users other than root (mode {:04o}) and holds secrets; "
                  "chmod 0600 it",
                  what, file.string(), st.st_mode & 07777));
}

// The reboot a script asked for, once everything is recorded. Only on this host: with a
// --root, the machine running nodeboot is not the node being prepared.
void Reboot(const Paths& paths, CommandRunner& runner) {
  if (paths.root() != "/") {
    log::Warn("reboot requested; not rebooting this machine: --root {} is not this host", paths.root().string());
    return;
  }
  log::Info("rebooting as the script asked; the next boot's run goes on with the next phase");
  Command command;
  // --no-block: the start job of nodeboot.service is still running; waiting for the reboot
  // job from inside it would only wait for systemd to stop us.
  command.argv = {"systemctl", "reboot", "--no-block"};
  command.timeout = std::chrono::seconds(30);
  if (auto result = runner.Run(command); !result || !result->ok()) {
    log::Error("systemctl reboot --no-block failed: {}; reboot the node to go on",
               result ? result->FirstErrorLine() : result.error().message);
  }
}

}  // namespace

void TellServiceManagerAboutPhases(ServiceManager& manager, RunHooks& hooks) {
  hooks.phase_started = [&manager](std::string_view phase) { manager.NotifyStatus(fmt::format("phase {}", phase)); };
  hooks.node_services_may_start = [&manager](std::string_view phase) {
    manager.NotifyReady(fmt::format("the node's data directories are in place; phase {} next", phase));
  };
}

std::function<void(const Command&)> TellServiceManagerAboutSteps(ServiceManager& manager, RunHooks& hooks,
                                                                 const Redactor& redactor) {
  auto phase = std::make_shared<std::string>();
  hooks.phase_started = [phase, said = std::move(hooks.phase_started)](std::string_view name) {
    *phase = std::string(name);
    if (said) said(name);
  };
  return [phase, &manager, redactor](const Command& command) {
    if (phase->empty()) return;  // the report step's commands come after the phases
    manager.NotifyStatus(fmt::format("phase {}: {}", *phase, StepLine(command, redactor)));
  };
}

void TellServiceManagerRunEnded(ServiceManager& manager, const RunRecord& run, int code) {
  if (code == 0) {
    manager.NotifyReady(run.status == RunStatus::kRebooting
                            ? fmt::format("rebooting as a script asked; run {} goes on after the reboot", run.run_id)
                            : fmt::format("bootstrapped (run {})", run.run_id));
    return;
  }
  std::string why = fmt::format("run {} failed with exit code {}", run.run_id, code);
  if (const PhaseRecord* failed = run.FailedPhase()) {
    why += fmt::format(": phase {}", failed->name);
    if (!failed->error_code.empty()) why += fmt::format(" ({})", failed->error_code);
  } else if (run.stopped_by != 0) {
    why += fmt::format(": stopped by {}", SignalName(run.stopped_by));
  }
  manager.NotifyStatus(why + "; see `nodeboot status`");
}

int Bootstrap(const BootstrapOptions& options) {
  const Paths paths(options.root);

  // 1. The config, all of it checked before anything runs or changes (exit 2).
  const auto config_file = config::ConfigFile(paths, options.config);
  const auto loaded = config::LoadConfig(paths, config_file);
  // Milestones also go to the console nodeboot.service names in $NODEBOOT_CONSOLE (README
  // "Logs"): on a node no one can log in to, the serial console is what there is. An invalid
  // config is the first thing worth seeing there.
  const char* console_env = std::getenv("NODEBOOT_CONSOLE");
  const std::filesystem::path console =
      options.dry_run || console_env == nullptr ? std::filesystem::path() : std::filesystem::path(console_env);
  if (!loaded.ok()) {
    log::Init({.to_stderr = false, .console = console});
    for (const auto& error : loaded.errors) {
      fmt::print(stderr, "nodeboot: config: {}\n", error.ToString());
      log::Announce(log::Level::kError, "NB-CONFIG-INVALID", "config: " + error.ToString());
    }
    return exit_code::kInvalidConfig;
  }
  const config::NodeConfig& config = loaded.config;
  auto identity = ResolveIdentity(config, paths);
  if (!identity) {
    fmt::print(stderr, "nodeboot: config: {}\n", identity.error().message);
    return identity.error().exit_code;
  }

  // 2. Stop signals become values before any thread or child starts (ShutdownSignals says why).
  std::unique_ptr<ShutdownSignals> shutdown;
  if (auto installed = ShutdownSignals::Install())
    shutdown = std::move(*installed);
  else
    fmt::print(stderr, "nodeboot: {}\n", installed.error().message);
  const std::function<int()> stop_signal = [&shutdown] { return shutdown ? shutdown->Received() : 0; };

  // 3. Logs: stderr always; the log file and syslog only for a run that changes the node (a
  //    dry run changes nothing, and a --root run is a test or an image build, not this host).
  log::Init({.to_stderr = true,
             .file = options.dry_run ? std::filesystem::path() : paths.Host(Paths::kLogFile),
             .to_system_log = !options.dry_run && options.root == "/",
             .console = console});
  // Secrets are masked also in base64 form: a script that dumps its config encoded, a
  // kubeconfig's *-data fields.
  log::SetSecrets(WithBase64Forms(config.SecretValues()));
  const Redactor redactor(WithBase64Forms(config.SecretValues()));
  auto print = [&redactor](const std::string& line) { fmt::print("{}\n", redactor.Redact(line)); };

  // 4. One run at a time (exit 3). A dry run takes no lock: it changes nothing.
  std::optional<RunLock> lock;
  if (!options.dry_run) {
    auto acquired = RunLock::Acquire(paths.Host(Paths::kLockFile));
    if (!acquired) {
      log::Error("{}", acquired.error().message);
      return acquired.error().exit_code;
    }
    lock.emplace(std::move(*acquired));
  }

  // 5. What this instance has done before; another instance's state is discarded. A run the
  //    file shows running is gone (we hold the lock): it died, and its phase was interrupted.
  auto state = LoadState(paths, identity->instance_id);
  if (!state) {
    log::Error("{}", state.error().message);
    return state.error().exit_code;
  }
  if (!options.dry_run && MarkDeadRunInterrupted(*state)) {
    log::Warn("run {} ended without recording its end (killed, or the machine went down); its phase is interrupted",
              state->last_run->run_id);
  }
  state->node_name = identity->node_name;
  std::vector<std::string> warnings;
  if (!config.SecretValues().empty()) WarnIfReadableByOthers(config_file, "the config", warnings);
  if (!config.task.token_file.empty())
    WarnIfReadableByOthers(paths.Host(config.task.token_file), "task.tokenFile", warnings);
  for (const auto& warning : warnings) log::Warn("{}", warning);
  log::SetRunId(identity->run_id);
  log::Announce(
      log::Level::kInfo, {},
      fmt::format("run {}: node {}, instance {}{}{}", identity->run_id, identity->node_name, identity->instance_id,
                  options.repair ? ", repair" : "", options.dry_run ? ", dry run" : ""));

  // 6. The phases, with the real or the dry-run side effects; the state is saved as each
  //    phase starts and ends (a dry run remembers nothing).
  // The log sits between the dry run and the real runner: it records what really ran (the
  // dry run's reads), never a command the dry run only printed.
  auto real_runner = MakeRealCommandRunner(shutdown.get());
  // nodeboot.service is Type=notify: the kubelet and containerd (ordered after it) may start
  // before the join phase, which needs them, and not before the storage phase has mounted
  // their data directories; and `systemctl status` shows the phase and command under way.
  // A no-op when not started by such a unit.
  auto service_manager = MakeSystemdServiceManager();
  RunHooks hooks;
  TellServiceManagerAboutPhases(*service_manager, hooks);
  auto tell_step = TellServiceManagerAboutSteps(*service_manager, hooks, redactor);
  // And `nodeboot status`, through the progress file (a dry run is not a run in progress).
  std::optional<ProgressFile> progress;
  if (!options.dry_run) {
    progress.emplace(paths.Host(Paths::kProgressFile), identity->run_id);
    hooks.phase_started = [&progress, told = std::move(hooks.phase_started)](std::string_view name) {
      told(name);
      progress->PhaseStarted(name);
    };
    tell_step = [&progress, redactor, told = std::move(tell_step)](const Command& command) {
      told(command);
      progress->StepStarted(StepLine(command, redactor));
    };
  }
  auto logged_runner = MakeLoggedCommandRunner(*real_runner, std::move(tell_step));
  auto dry_runner = MakeDryRunCommandRunner(*logged_runner, print);
  CommandRunner& runner = options.dry_run ? *dry_runner : *logged_runner;
  auto files = options.dry_run ? MakeDryRunHostFiles(paths, print) : MakeRealHostFiles(paths);
  PhaseContext context{config, *identity,      paths,           runner,
                       *files, options.repair, options.dry_run, [&stop_signal] { return stop_signal() != 0; }};
  const Selection selection{options.only, options.skip, options.repair, options.rerun_scripts};
  if (!options.dry_run) hooks.checkpoint = [&paths](const State& s) { return SaveState(paths, s); };
  hooks.stop_signal = stop_signal;
  hooks.redactor = redactor;
  RunRecord run = RunPhases(StandardPhases(), context, selection, *state, hooks);
  for (auto& warning : warnings) run.warnings.push_back(redactor.Redact(warning));
  state->last_run = run;
  if (!options.dry_run) {
    if (auto saved = SaveState(paths, *state); !saved) log::Error("state: {}", saved.error().message);
  }

  // 7. The report step always runs, on failure too; a dry run sends nothing, and a run that
  //    reboots for a script is not over.
  if (options.dry_run) {
    run.report = {ReportStatus::kNotSent, "dry run"};
  } else if (run.status == RunStatus::kRebooting) {
    run.report = {ReportStatus::kNotSent, "the run goes on after the reboot a script asked for"};
  } else {
    if (config.task.enabled()) {
      if (progress) progress->PhaseStarted("report");
      service_manager->NotifyStatus(fmt::format("report: sending the result of run {}", run.run_id));
    }
    run.report = ReportStep(config, paths, *identity, run, runner, stop_signal);
    run.report.detail = redactor.Redact(run.report.detail);
  }
  const auto exit = run.ExitCode();
  {
    const PhaseRecord* failed = run.FailedPhase();
    const bool ok = run.status == RunStatus::kSucceeded || run.status == RunStatus::kRebooting;
    std::string result = fmt::format("run {}: {} with exit code {} in {} ms", run.run_id, ToString(run.status),
                                     exit ? std::to_string(*exit) : "?", run.duration_ms);
    if (failed != nullptr) result += fmt::format(" (phase {}: {})", failed->name, failed->error_code);
    if (run.report.status != ReportStatus::kNotConfigured)
      result += fmt::format("; report {}", ToString(run.report.status));
    log::Announce(ok ? log::Level::kInfo : log::Level::kError, failed ? failed->error_code : "", result);
  }

  // 8. Remember it (atomically). A dry run remembers nothing.
  int code = exit.value_or(exit_code::kInternal);
  state->last_run = run;
  if (!options.dry_run) {
    const auto saved = SaveState(paths, *state);
    if (!saved) {
      log::Error("state: {}", saved.error().message);
      if (code == 0) code = exit_code::kInternal;
    }
    // The run as node_exporter's textfile collector shows it (textfile.h), before any reboot.
    // Only a warning when it cannot be written: the node is bootstrapped all the same.
    if (auto written = WriteTextfile(paths, RenderTextfile(run, identity->node_name, identity->instance_id));
        !written) {
      log::Warn("prometheus textfile: {}", written.error().message);
    }
    if (saved && run.status == RunStatus::kRebooting) Reboot(paths, runner);
  }

  // 9. The last word to systemd: READY=1 if nothing before the join phase said it and the run
  //    exits 0 (else the unit would fail with result 'protocol').
  TellServiceManagerRunEnded(*service_manager, run, code);
  return code;
}

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
