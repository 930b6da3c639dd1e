#include "agent/scripts/script_phase.h"

#include <fmt/format.h>
#include <signal.h>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"
#include "agent/base/output_tail.h"
#include "agent/base/redact.h"
#include "agent/base/shutdown.h"
#include "agent/scripts/script_output.h"

namespace nodeboot::scripts {
namespace {

struct ScriptKind {
  const char* phase;                     // "preInstall"
  const char* config_key;                // "alpha.cce/preInstall"
  Error (*failed)(std::string message);  // the named constructors of the phase's codes
  Error (*timeout)(std::string message);
  Error (*interrupted)(std::string message);
};

constexpr ScriptKind kPre{"preInstall", "alpha.cce/preInstall", errors::PreInstallFailed, errors::PreInstallTimeout,
                          errors::PreInstallInterrupted};
constexpr ScriptKind kPost{"postInstall", "alpha.cce/postInstall", errors::PostInstallFailed,
                           errors::PostInstallTimeout, errors::PostInstallInterrupted};

// A script asks for a reboot by creating this file ($NODEBOOT_REBOOT_REQUEST) and exiting 0:
// nodeboot records the script as succeeded, then reboots, and the next boot's run goes on with
// the next phase. A script that runs `reboot` itself is stopped by the shutdown half-way
// through its own exit, and is then reported as interrupted, not run again.
constexpr std::string_view kRebootRequest = "/var/lib/nodeboot/scripts/reboot-requested";

// A script's own process group is killed this long after SIGTERM (SPEC §5).
constexpr std::chrono::seconds kKillGrace{10};

// The process group of `phase`'s script that an earlier run recorded in `pid_file` and that
// still exists, else 0. A pid is not reused while it names a live process group, so a live
// group of that id is the script's, unless its id was reused by a new group leader after the
// whole group ended: then the leader's environment (NODEBOOT_PHASE) tells.
int RunningGroup(const std::filesystem::path& pid_file, std::string_view phase) {
  auto text = ReadFile(pid_file, 64);
  if (!text) return 0;
  int group = 0;
  try {
    group = std::stoi(*text);
  } catch (const std::exception&) {
    return 0;
  }
  if (group <= 1 || ::kill(-group, 0) != 0) return 0;
  auto environment = ReadFile(fmt::format("/proc/{}/environ", group), 1 << 20);
  if (!environment) return group;  // the leader is gone, its group lives on
  const std::string mine = fmt::format("NODEBOOT_PHASE={}", phase);
  for (size_t start = 0; start < environment->size();) {
    const size_t end = std::min(environment->find('\0', start), environment->size());
    if (std::string_view(*environment).substr(start, end - start) == mine) return group;
    start = end + 1;
  }
  return 0;
}

class ScriptPhase : public run::Phase {
 public:
  explicit ScriptPhase(Which which) : which_(which), kind_(which == Which::kPreInstall ? kPre : kPost) {}

  std::string_view name() const override { return kind_.phase; }
  bool is_script() const override { return true; }

  Error InterruptedError(std::string message) const override { return kind_.interrupted(std::move(message)); }

  std::string NothingToDo(const config::NodeConfig& config) const override {
    return Script(config) ? "" : fmt::format("no {} script in nodeTemplate.extendParam", kind_.config_key);
  }

  run::PhaseOutcome Run(run::PhaseContext& context) override {
    const Secret& script = *Script(context.config);
    const std::string host_path = fmt::format("{}/{}", Paths::kScriptsDir, kind_.phase);
    if (auto written =
            context.files.Write(host_path, script.Reveal(), std::filesystem::perms(0700), std::filesystem::perms(0700));
        !written) {
      return {kind_.failed(fmt::format("{} script: {}", kind_.phase, written.error().message)), {}};
    }
    const std::string path = context.files.Real(host_path).string();

    Command command;
    // The kernel honours a shebang when the file is executed; anything else is bash's.
    command.argv = script.Reveal().starts_with("#!") ? std::vector<std::string>{path}
                                                     : std::vector<std::string>{"/bin/bash", path};
    const auto reboot_request = context.files.Real(kRebootRequest);
    std::error_code ignored;
    if (!context.dry_run) std::filesystem::remove(reboot_request, ignored);  // an old request is not this one's
    command.env = {{"NODE_NAME", context.identity.node_name},
                   {"NODEBOOT_PHASE", kind_.phase},
                   {"NODEBOOT_INSTANCE_ID", context.identity.instance_id},
                   {"NODEBOOT_REBOOT_REQUEST", reboot_request.string()}};
    const int timeout_seconds = which_ == Which::kPreInstall ? context.config.scripts.pre_install_timeout_seconds
                                                             : context.config.scripts.post_install_timeout_seconds;
    command.timeout = std::chrono::seconds(timeout_seconds);
    command.kill_grace = kKillGrace;
    OutputTail tail;
    const Redactor redactor = Redactor::ForScriptOutput(context.config.SecretValues(), script.Reveal());
    ScriptOutputLog output_log(kind_.phase, [](const std::string& line) { log::Info("{}", line); });
    command.on_line = [&tail, &output_log, &redactor](OutputStream stream, std::string_view raw) {
      const std::string line = redactor.Redact(raw);
      output_log.Add(stream, line);
      tail.Add(line);
    };

    // A script an earlier nodeboot left running (that nodeboot was SIGKILLed: its group lives
    // on) must not get a second copy beside it, --rerun-scripts or not.
    const auto pid_file = context.files.Real(fmt::format("{}/{}.pid", Paths::kScriptsDir, kind_.phase));
    if (const int group = RunningGroup(pid_file, kind_.phase); group > 0) {
      return {kind_.interrupted(
                  fmt::format("the {} script an earlier run started still runs (process group {}); nodeboot does "
                              "not start a second copy: wait for it, or stop it with `kill -TERM -{}`",
                              kind_.phase, group, group)),
              {},
              false,
              /*not_started=*/true};
    }
    // Written by the script's own process before exec: a nodeboot killed the moment after the
    // start still leaves the record.
    if (!context.dry_run) command.pid_file = pid_file.string();
    auto result = context.runner.Run(command);
    output_log.Finish();
    // This nodeboot saw it end; only one that dies first leaves the record for the next run.
    if (!context.dry_run) std::filesystem::remove(pid_file, ignored);
    if (!result) {
      // exec's ENOENT for a script that is right there means its interpreter is missing.
      const char* hint =
          script.Reveal().starts_with("#!") ? " (the interpreter its #! line names must exist on this node)" : "";
      return {kind_.failed(fmt::format("{} script {}: {}{}", kind_.phase, path, result.error().message, hint)),
              tail.Lines()};
    }
    if (result->stopped_by != 0) {
      return {kind_.interrupted(
                  fmt::format("{} script {} was stopped: nodeboot got {} and passed it on to the script's process "
                              "group (exit {})",
                              kind_.phase, path, SignalName(result->stopped_by), result->exit_code)),
              tail.Lines()};
    }
    if (result->timed_out) {
      return {kind_.timeout(fmt::format("{} script {} {}", kind_.phase, path, DescribeFailure(command, *result))),
              tail.Lines()};
    }
    // Not DescribeFailure's words for a stop or an exit: the README quotes a script's failure
    // ("... exited with 3: E: Unable to locate package ***"), and its first error line is
    // redacted (a script's output may echo the secrets it was given).
    if (result->exit_code != 0) {
      const std::string first = redactor.Redact(result->FirstErrorLine());
      return {kind_.failed(fmt::format("{} script {} exited with {}{}{}", kind_.phase, path, result->exit_code,
                                       first.empty() ? "" : ": ", first)),
              tail.Lines()};
    }
    // Asked for only by a script that succeeded; the request is consumed here.
    const bool reboot =
        !context.dry_run && std::filesystem::exists(std::filesystem::symlink_status(reboot_request, ignored));
    if (reboot) std::filesystem::remove(reboot_request, ignored);
    return {Ok(), {}, reboot};
  }

 private:
  const std::optional<Secret>& Script(const config::NodeConfig& config) const {
    return which_ == Which::kPreInstall ? config.node_template.pre_install_script
                                        : config.node_template.post_install_script;
  }

  Which which_;
  ScriptKind kind_;
};

}  // namespace

std::unique_ptr<run::Phase> MakeScriptPhase(Which which) { return std::make_unique<ScriptPhase>(which); }

}  // namespace nodeboot::scripts
