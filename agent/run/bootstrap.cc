#include "agent/run/bootstrap.h"

#include <fmt/format.h>

#include <cstdio>

#include "agent/base/host_files.h"
#include "agent/base/lock.h"
#include "agent/base/logged_command_runner.h"
#include "agent/base/logging.h"
#include "agent/base/redact.h"
#include "agent/config/load.h"
#include "agent/run/engine.h"
#include "agent/run/identity.h"
#include "agent/run/phases.h"
#include "agent/run/state.h"

namespace nodeboot::run {
namespace {

// What the report step says until reporting lands (issue #7): honestly, nothing was sent.
ReportRecord ReportStep(const config::NodeConfig& config) {
  if (!config.task.enabled()) return {"not-configured", "no task.url: the result stays in state.json and `status`"};
  log::Warn("report: not sent: reporting to the task service is not implemented in nodeboot {}", NODEBOOT_VERSION);
  return {"not-implemented", "reporting to the task service is not implemented yet"};
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
  log::SetSecrets(config.SecretValues());
  const Redactor redactor(config.SecretValues());
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
  auto real_runner = MakeRealCommandRunner();
  auto dry_runner = MakeDryRunCommandRunner(*real_runner, print);
  auto runner = MakeLoggedCommandRunner(options.dry_run ? *dry_runner : *real_runner);
  auto files = options.dry_run ? MakeDryRunHostFiles(paths, print) : MakeRealHostFiles(paths);
  PhaseContext context{config, *identity, paths, *runner, *files, options.repair, options.dry_run};
  const Selection selection{options.only, options.skip, options.repair, options.rerun_scripts};
  RunRecord run = RunPhases(StandardPhases(), context, selection, *state);

  // 6. The report step always runs.
  run.report = options.dry_run ? ReportRecord{"not-sent", "dry run"} : ReportStep(config);
  log::Info("run {}: {} with exit code {} in {} ms", run.run_id, run.status, run.exit_code, run.duration_ms);

  // 7. Remember it (atomically). A dry run remembers nothing.
  if (!options.dry_run) {
    for (auto& phase : run.phases) {
      for (auto& line : phase.output) line = redactor.Redact(line);
    }
    for (auto& [name, phase] : state->phases) {
      for (auto& line : phase.output) line = redactor.Redact(line);
    }
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
