#include "agent/scripts/script_phase.h"

#include <fmt/format.h>

#include "agent/base/logging.h"
#include "agent/base/output_tail.h"
#include "agent/base/redact.h"

namespace nodeboot::scripts {
namespace {

struct ScriptKind {
  const char* phase;         // "preInstall"
  const char* config_key;    // "alpha.cce/preInstall"
  const char* failed_code;   // catalog codes
  const char* timeout_code;
  int failed_exit;
  int timeout_exit;
};

constexpr ScriptKind kPre{"preInstall", "alpha.cce/preInstall", "NB-PREINSTALL-FAILED", "NB-PREINSTALL-TIMEOUT",
                          exit_code::kPreInstallFailed, exit_code::kPreInstallTimedOut};
constexpr ScriptKind kPost{"postInstall", "alpha.cce/postInstall", "NB-POSTINSTALL-FAILED", "NB-POSTINSTALL-TIMEOUT",
                           exit_code::kPostInstallFailed, exit_code::kPostInstallTimedOut};

// A script's own process group is killed this long after SIGTERM (SPEC §5).
constexpr std::chrono::seconds kKillGrace{10};

class ScriptPhase : public run::Phase {
 public:
  explicit ScriptPhase(Which which) : which_(which), kind_(which == Which::kPreInstall ? kPre : kPost) {}

  std::string_view name() const override { return kind_.phase; }
  bool is_script() const override { return true; }

  std::string NothingToDo(const config::NodeConfig& config) const override {
    return Script(config) ? "" : fmt::format("no {} script in nodeTemplate.extendParam", kind_.config_key);
  }

  run::PhaseOutcome Run(run::PhaseContext& context) override {
    const Secret& script = *Script(context.config);
    const std::string host_path = fmt::format("/var/lib/nodeboot/scripts/{}", kind_.phase);
    if (auto written = context.files.Write(host_path, script.Reveal(), std::filesystem::perms(0700),
                                           std::filesystem::perms(0700));
        !written) {
      return {Error{kind_.failed_code, fmt::format("{} script: {}", kind_.phase, written.error().message), kind_.failed_exit}, {}};
    }
    const std::string path = context.files.Real(host_path).string();

    Command command;
    // The kernel honours a shebang when the file is executed; anything else is bash's.
    command.argv = script.Reveal().starts_with("#!") ? std::vector<std::string>{path}
                                                       : std::vector<std::string>{"/bin/bash", path};
    command.env = {{"NODE_NAME", context.identity.node_name},
                   {"NODEBOOT_PHASE", kind_.phase},
                   {"NODEBOOT_INSTANCE_ID", context.identity.instance_id}};
    const int timeout_seconds = which_ == Which::kPreInstall ? context.config.scripts.pre_install_timeout_seconds
                                                              : context.config.scripts.post_install_timeout_seconds;
    command.timeout = std::chrono::seconds(timeout_seconds);
    command.kill_grace = kKillGrace;
    OutputTail tail;
    const char* phase = kind_.phase;
    const Redactor redactor = Redactor::ForScriptOutput(context.config.SecretValues(), script.Reveal());
    command.on_line = [&tail, &redactor, phase](OutputStream stream, std::string_view raw) {
      const std::string line = redactor.Redact(raw);
      log::Info("{} {}: {}", phase, stream == OutputStream::kStderr ? "stderr" : "stdout", line);
      tail.Add(line);
    };

    auto result = context.runner.Run(command);
    if (!result) {
      return {Error{kind_.failed_code, fmt::format("{} script {}: {}", kind_.phase, path, result.error().message),
                    kind_.failed_exit},
              tail.Lines()};
    }
    if (result->timed_out) {
      return {Error{kind_.timeout_code,
                    fmt::format("{} script {} timed out after {} s; its process group was killed", kind_.phase, path,
                                timeout_seconds),
                    kind_.timeout_exit},
              tail.Lines()};
    }
    if (result->exit_code != 0) {
      const std::string first = redactor.Redact(result->FirstErrorLine());
      return {Error{kind_.failed_code,
                    fmt::format("{} script {} exited with {}{}{}", kind_.phase, path, result->exit_code,
                                first.empty() ? "" : ": ", first),
                    kind_.failed_exit},
              tail.Lines()};
    }
    return {Ok(), {}};
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
