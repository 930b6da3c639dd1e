#include "agent/run/bootstrap.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "agent/base/host_files.h"
#include "agent/base/lock.h"
#include "agent/base/logged_command_runner.h"
#include "agent/base/logging.h"
#include "agent/base/output.h"
#include "agent/base/redact.h"
#include "agent/base/shutdown.h"
#include "agent/config/load.h"
#include "agent/run/engine.h"
#include "agent/run/identity.h"
#include "agent/run/phases.h"
#include "agent/run/progress.h"
#include "agent/run/report_step.h"
#include "agent/run/state.h"
#include "agent/run/textfile.h"

namespace nodeboot::run {
namespace {

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

RunProgress::RunProgress(ServiceManager& manager, Redactor redactor, ProgressFile* file)
    : manager_(manager), redactor_(std::move(redactor)), file_(file) {}

void RunProgress::Attach(RunHooks& hooks) {
  hooks.phase_started = [this](std::string_view phase) { PhaseStarted(phase); };
  hooks.node_services_may_start = [this](std::string_view phase) {
    manager_.NotifyReady(fmt::format("the node's data directories are in place; phase {} next", phase));
  };
}

void RunProgress::PhaseStarted(std::string_view phase) {
  phase_ = std::string(phase);
  manager_.NotifyStatus(fmt::format("phase {}", phase));
  if (file_ != nullptr) file_->PhaseStarted(phase);
}

void RunProgress::StepStarted(const Command& command) {
  if (phase_.empty()) return;  // the report step's commands come after the phases
  const std::string step = StepLine(command, redactor_);
  manager_.NotifyStatus(fmt::format("phase {}: {}", phase_, step));
  if (file_ != nullptr) file_->StepStarted(step);
}

void RunProgress::ReportStarted(std::string_view run_id) {
  manager_.NotifyStatus(fmt::format("report: sending the result of run {}", run_id));
  if (file_ != nullptr) file_->PhaseStarted("report");
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

int Bootstrap(const BootstrapOptions& options, Host& host) {
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
      PrintLine("nodeboot: config: " + error.ToString(), stderr);
      log::Announce(log::Level::kError, errors::kConfigInvalid.code, "config: " + error.ToString());
    }
    return exit_code::kInvalidConfig;
  }
  const config::NodeConfig& config = loaded.config;
  auto identity = ResolveIdentity(config, paths);
  if (!identity) {
    PrintLine("nodeboot: config: " + identity.error().message, stderr);
    return identity.error().exit_code;
  }

  // 2. Stop signals are values since main built the host (RealHost says why).
  const std::function<int()> stop_signal = host.stop_signal;

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
  auto print = [&redactor](const std::string& line) { PrintLine(redactor.Redact(line)); };

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
  // nodeboot.service is Type=notify: the kubelet and containerd (ordered after it) may start
  // before the join phase, which needs them, and not before the storage phase has mounted
  // their data directories; and `systemctl status` shows the phase and command under way.
  // A no-op when not started by such a unit.
  ServiceManager& service_manager = host.service_manager;
  // And `nodeboot status`, through the progress file (a dry run is not a run in progress).
  std::optional<ProgressFile> progress_file;
  if (!options.dry_run) progress_file.emplace(paths.Host(Paths::kProgressFile), identity->run_id);
  RunProgress progress(service_manager, redactor, progress_file ? &*progress_file : nullptr);
  RunHooks hooks;
  progress.Attach(hooks);
  auto logged_runner =
      MakeLoggedCommandRunner(host.runner, [&progress](const Command& command) { progress.StepStarted(command); });
  auto dry_runner = MakeDryRunCommandRunner(*logged_runner, print);
  CommandRunner& runner = options.dry_run ? *dry_runner : *logged_runner;
  auto files = options.dry_run ? MakeDryRunHostFiles(paths, print) : MakeRealHostFiles(paths);
  PhaseContext context{
      config,    *identity,  paths,          runner,          *files,
      host.http, host.probe, options.repair, options.dry_run, [&stop_signal] { return stop_signal() != 0; }};
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
    if (config.task.enabled()) progress.ReportStarted(run.run_id);
    run.report = ReportStep(config, paths, *identity, run, runner, host);
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
  TellServiceManagerRunEnded(service_manager, run, code);
  return code;
}

}  // namespace nodeboot::run
