#include "agent/join/join_phase.h"

#include <fmt/format.h>

#include <filesystem>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"
#include "agent/base/output_tail.h"
#include "agent/base/redact.h"
#include "agent/config/kubernetes_names.h"
#include "agent/join/join_config.h"
#include "agent/join/kubeconfig.h"

namespace nodeboot::join {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// kubeadm join itself waits up to 4 minutes for the kubelet's TLS bootstrap; the rest is
// preflight and discovery, which take seconds unless the API server is unreachable.
constexpr seconds kKubeadmTimeout{600};
constexpr seconds kSystemctlTimeout{120};
// The one look at an already joined node: short, so an unreachable API server does not stall
// a repair before it starts doing something about it.
constexpr seconds kProbeTimeout{5};

Error JoinFailed(std::string message) {
  return Error{"NB-JOIN-FAILED", std::move(message), exit_code::kJoinFailed};
}

// The step's notes: to the log and to the output kept for state and the report.
class Notes {
 public:
  explicit Notes(const config::NodeConfig& config)
      : redactor_(WithBase64Forms(config.SecretValues())) {}
  void Add(const std::string& line) {
    const std::string safe = redactor_.Redact(line);
    log::Info("join: {}", safe);
    tail_.Add(safe);
  }
  // A command's output line: logged and kept, masked like every other line.
  void AddOutput(std::string_view program, OutputStream stream, std::string_view raw) {
    const std::string line =
        fmt::format("{} {}: {}", program, stream == OutputStream::kStderr ? "stderr" : "stdout",
                    redactor_.Redact(raw));
    log::Info("join: {}", line);
    tail_.Add(line);
  }
  std::vector<std::string> Lines() const { return tail_.Lines(); }

 private:
  Redactor redactor_;
  OutputTail tail_;
};

Status Write(run::PhaseContext& context, std::string_view host_path, std::string_view content,
             fs::perms mode) {
  if (auto written = context.files.Write(host_path, content, mode, fs::perms(0755)); !written) {
    return JoinFailed(fmt::format("write {}: {}", host_path, written.error().message));
  }
  return Ok();
}

Status RunCommand(run::PhaseContext& context, std::vector<std::string> argv, seconds timeout,
                  Notes& notes) {
  Command command;
  command.argv = std::move(argv);
  command.timeout = timeout;
  const std::string program = command.argv.front();
  command.on_line = [&notes, &program](OutputStream stream, std::string_view line) {
    notes.AddOutput(program, stream, line);
  };
  const std::string shown = FormatArgv(command.argv);
  auto result = context.runner.Run(command);
  if (!result) return JoinFailed(fmt::format("{}: {}", shown, result.error().message));
  if (result->timed_out) {
    return JoinFailed(fmt::format("{}: timed out after {} s; its process group was killed", shown,
                                  timeout.count()));
  }
  if (result->exit_code != 0) {
    const std::string first = result->FirstErrorLine();
    return JoinFailed(
        fmt::format("{}: exit {}{}{}", shown, result->exit_code, first.empty() ? "" : ": ", first));
  }
  return Ok();
}

Status JoinWithKubeadm(run::PhaseContext& context, const JoinSettings& settings, bool joined_before,
                       Notes& notes) {
  if (joined_before) {
    notes.Add(fmt::format(
        "not running kubeadm join: {} exists, so this node joined before and kubeadm would refuse "
        "(`kubeadm reset` first to join anew); waiting for the Node instead",
        kKubeletKubeconfigPath));
    return Ok();
  }
  NB_TRY(Write(context, kKubeadmConfigPath, RenderKubeadmJoinConfiguration(settings).Reveal(),
               fs::perms(0600)));
  return RunCommand(
      context, {"kubeadm", "join", "--config", context.files.Real(kKubeadmConfigPath).string()},
      kKubeadmTimeout, notes);
}

Status JoinWithKubelet(run::PhaseContext& context, const JoinSettings& settings, bool joined_before,
                       Notes& notes) {
  struct File {
    std::string_view path;
    std::string content;
    fs::perms mode;
  };
  const File files[] = {
      {kBootstrapKubeconfigPath, RenderBootstrapKubeconfig(settings).Reveal(), fs::perms(0600)},
      {kKubeletConfigPath, RenderKubeletConfiguration(settings), fs::perms(0644)},
      {kKubeletDropInPath, RenderKubeletDropIn(settings), fs::perms(0644)},
  };
  bool changed = false;
  for (const auto& file : files) {
    const auto existing = ReadFile(context.paths.Host(file.path), 1 << 20);
    changed = changed || !existing || *existing != file.content;
    NB_TRY(Write(context, file.path, file.content, file.mode));
  }
  NB_TRY(RunCommand(context, {"systemctl", "daemon-reload"}, kSystemctlTimeout, notes));
  NB_TRY(
      RunCommand(context, {"systemctl", "enable", "--now", "kubelet"}, kSystemctlTimeout, notes));
  // `enable --now` leaves a running kubelet as it is; one that ran with other settings must
  // restart to read them.
  if (joined_before && changed) {
    NB_TRY(RunCommand(context, {"systemctl", "restart", "kubelet"}, kSystemctlTimeout, notes));
  }
  return Ok();
}

Result<ApiCredentials> KubeletCredentials(const Paths& paths) {
  if (!fs::exists(paths.Host(kKubeletKubeconfigPath))) {
    return JoinFailed(
        fmt::format("{} does not exist yet (kubeadm join or the kubelet's TLS bootstrap writes it)",
                    kKubeletKubeconfigPath));
  }
  return ReadKubeconfig(paths, kKubeletKubeconfigPath);
}

class JoinPhase : public run::Phase {
 public:
  explicit JoinPhase(JoinEnvironment environment) : environment_(std::move(environment)) {}

  std::string_view name() const override { return "join"; }
  bool is_script() const override { return false; }
  std::string NothingToDo(const config::NodeConfig& config) const override {
    return config.cluster.join == config::JoinMode::kNone
               ? "no cluster to join (cluster.join absent or none)"
               : "";
  }

  run::PhaseOutcome Run(run::PhaseContext& context) override {
    Notes notes(context.config);
    const std::string& node_name = context.identity.node_name;
    if (auto why = config::CheckDns1123Subdomain(node_name); !why.empty()) {
      return {JoinFailed(
                  fmt::format("node name \"{}\" cannot name a Kubernetes Node: {} (set node.name)",
                              node_name, why)),
              {}};
    }
    const JoinSettings settings = SettingsFor(context.config, node_name);
    const NodeExpectations expected{node_name, settings.labels, settings.taints, settings.max_pods};
    auto http = environment_.make_http();
    const Paths& paths = context.paths;
    const CredentialsSource credentials = [&paths] { return KubeletCredentials(paths); };

    const bool joined_before = fs::exists(paths.Host(kKubeletKubeconfigPath));
    if (joined_before) {
      const NodeObservation seen = LookAtNode(*http, credentials(), expected, kProbeTimeout);
      if (seen.ready_as_asked()) {
        notes.Add(fmt::format("{} exists and Node {} is {}: already joined, left alone",
                              kKubeletKubeconfigPath, node_name, seen.detail));
        return {Ok(), notes.Lines()};
      }
      notes.Add(fmt::format("{} exists but Node {} is not Ready as asked: {}",
                            kKubeletKubeconfigPath, node_name, seen.detail));
    }

    const Status joined = context.config.cluster.join == config::JoinMode::kKubeadm
                              ? JoinWithKubeadm(context, settings, joined_before, notes)
                              : JoinWithKubelet(context, settings, joined_before, notes);
    if (!joined) return {joined, notes.Lines()};
    if (context.dry_run) {
      notes.Add(fmt::format("dry run: not waiting for Node {} to be Ready", node_name));
      return {Ok(), notes.Lines()};
    }

    ReadinessPolicy policy;
    policy.budget = seconds(context.config.cluster.ready_timeout_seconds);
    policy.base_delay = environment_.base_delay;
    policy.max_delay = environment_.max_delay;
    policy.stopped = context.stopping;
    notes.Add(fmt::format("waiting up to {} s for Node {} to be Ready",
                          context.config.cluster.ready_timeout_seconds, node_name));
    Status ready = WaitForReady(*http, credentials, expected, policy, environment_.clock,
                                [&notes](const std::string& line) { notes.Add(line); });
    return {std::move(ready), notes.Lines()};
  }

 private:
  JoinEnvironment environment_;
};

}  // namespace

std::unique_ptr<run::Phase> MakeJoinPhase(JoinEnvironment environment) {
  return std::make_unique<JoinPhase>(std::move(environment));
}

}  // namespace nodeboot::join
