#include "agent/join/join_phase.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"
#include "agent/base/output_tail.h"
#include "agent/base/redact.h"
#include "agent/config/kubernetes_names.h"
#include "agent/join/cluster_settings.h"
#include "agent/join/join_config.h"
#include "agent/join/kubeconfig.h"
#include "agent/join/units.h"

namespace nodeboot::join {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// The one look at an already joined node: short, so an unreachable API server does not stall
// a repair before it starts doing something about it.
constexpr seconds kProbeTimeout{5};
constexpr seconds kVersionTimeout{30};
constexpr std::string_view kKubeletUnit = "kubelet.service";
constexpr std::string_view kContainerdUnit = "containerd.service";

// The step's notes: to the log and to the output kept for state and the report.
class Notes {
 public:
  explicit Notes(const config::NodeConfig& config) : redactor_(WithBase64Forms(config.SecretValues())) {}
  void Add(const std::string& line) {
    const std::string safe = redactor_.Redact(line);
    log::Info("join: {}", safe);
    tail_.Add(safe);
  }
  // A command's output line: logged and kept, masked like every other line.
  void AddOutput(std::string_view program, OutputStream stream, std::string_view raw) {
    const std::string line =
        fmt::format("{} {}: {}", program, stream == OutputStream::kStderr ? "stderr" : "stdout", redactor_.Redact(raw));
    log::Info("join: {}", line);
    tail_.Add(line);
  }
  std::vector<std::string> Lines() const { return tail_.Lines(); }

 private:
  Redactor redactor_;
  OutputTail tail_;
};

Status Write(run::PhaseContext& context, std::string_view host_path, std::string_view content, fs::perms mode) {
  if (auto written = context.files.Write(host_path, content, mode, fs::perms(0755)); !written) {
    return errors::JoinFailed(fmt::format("write {}: {}", host_path, written.error().message));
  }
  return Ok();
}

// Runs a command whose failure fails the join; returns its stdout.
Result<std::string> RunCommand(run::PhaseContext& context, std::vector<std::string> argv, seconds timeout, Notes& notes,
                               bool changes_system = true) {
  Command command;
  command.argv = std::move(argv);
  command.timeout = timeout;
  command.changes_system = changes_system;
  const std::string program = command.argv.front();
  command.on_line = [&notes, &program](OutputStream stream, std::string_view line) {
    notes.AddOutput(program, stream, line);
  };
  const std::string shown = FormatArgv(command.argv);
  auto result = context.runner.Run(command);
  if (!result) return errors::JoinFailed(fmt::format("{}: {}", shown, result.error().message));
  if (!result->ok()) return errors::JoinFailed(fmt::format("{}: {}", shown, DescribeFailure(command, *result)));
  return std::move(result->out);
}

// The release of an installed program that prints it with `ARGV...` (read-only).
Result<KubernetesVersion> InstalledVersion(run::PhaseContext& context, std::vector<std::string> argv, Notes& notes) {
  const std::string shown = FormatArgv(argv);
  NB_TRY_ASSIGN(const std::string out, RunCommand(context, std::move(argv), kVersionTimeout, notes, false));
  auto version = ParseKubernetesVersion(out);
  if (!version) return errors::JoinFailed(fmt::format("{}: {}", shown, version.error().message));
  return version;
}

// Before anything is written: a kubelet from 1.35 on will not start on a cgroup v1 host unless
// told to (failCgroupV1: false). `kubelet` is the release when known (kubeadm mode: kubeadm's).
Status CheckCgroups(run::PhaseContext& context, const JoinSettings& settings, std::optional<KubernetesVersion> kubelet,
                    Notes& notes) {
  const auto mounts = ReadFile(context.paths.Host("/proc/mounts"), 4 << 20);
  if (!mounts || CgroupModeFromMounts(*mounts) != CgroupMode::kV1) return Ok();
  if (!settings.fail_cgroup_v1) {
    notes.Add("this host runs cgroup v1; the kubelet is told to run on it (cluster.failCgroupV1: false)");
    return Ok();
  }
  if (!kubelet) {
    NB_TRY_ASSIGN(kubelet, InstalledVersion(context, {std::string(kKubeletBinary), "--version"}, notes));
  }
  if (*kubelet < kKubeletFailsCgroupV1From) {
    notes.Add(
        fmt::format("this host runs cgroup v1, which kubelet {} still accepts (from {} only with "
                    "cluster.failCgroupV1: false)",
                    ToString(*kubelet), ToString(kKubeletFailsCgroupV1From)));
    return Ok();
  }
  return errors::JoinFailed(fmt::format(
      "this host runs cgroup v1 (/sys/fs/cgroup is not a cgroup2 mount) and kubelet {} refuses to start on it "
      "(KubeletConfiguration failCgroupV1 defaults to true from {}): boot the image with cgroup v2 "
      "(systemd.unified_cgroup_hierarchy=1), or set cluster.failCgroupV1: false to run on cgroup v1 anyway",
      ToString(*kubelet), ToString(kKubeletFailsCgroupV1From)));
}

// kubelet mode: the kubelet's DNS from the config, else from the cluster (as `kubeadm join`
// takes it); without either, pods would get no cluster DNS: an error before anything is written.
Status ResolveClusterDns(run::PhaseContext& context, HttpClient& http, JoinSettings& settings, Notes& notes) {
  if (!settings.cluster_dns.empty()) return Ok();
  auto cluster = FetchClusterKubeletSettings(http, settings, context.paths.Host(settings.ca_file).string());
  if (!cluster) {
    return errors::JoinFailed(
        fmt::format("cluster.clusterDNS is not set and the cluster's could not be read: {} (set "
                    "cluster.clusterDNS and cluster.clusterDomain)",
                    cluster.error().message));
  }
  if (cluster->cluster_dns.empty()) {
    return errors::JoinFailed(
        "cluster.clusterDNS is not set and the cluster's kube-system/kubelet-config ConfigMap has no clusterDNS "
        "(set cluster.clusterDNS and cluster.clusterDomain)");
  }
  settings.cluster_dns = cluster->cluster_dns;
  if (settings.cluster_domain.empty()) settings.cluster_domain = cluster->cluster_domain;
  notes.Add(fmt::format("cluster DNS {} (domain {}) from ConfigMap kube-system/kubelet-config",
                        fmt::join(settings.cluster_dns, ","),
                        settings.cluster_domain.empty() ? "unset" : settings.cluster_domain));
  return Ok();
}

// kubeadm's preflight check name for a file that must not exist yet (FileAvailableCheck.Name()).
std::string FileAvailableCheckName(std::string_view path) {
  std::string name = "FileAvailable-" + std::string(path);
  std::replace(name.begin(), name.end(), '/', '-');
  return name;
}

// An interrupted `kubeadm join` (nodeboot killed inside it, the node rebooted) leaves the
// bootstrap kubeconfig and the cluster CA it writes before the kubelet's TLS bootstrap makes
// kubelet.conf; kubeadm's preflight then refuses every later join (its FileAvailable checks)
// until `kubeadm reset`. When nodeboot's own join file is there too - nodeboot writes it, and
// only nodeboot, before it runs kubeadm - those files are the leftovers of nodeboot's own join
// and kubeadm is told to ignore exactly those checks (it overwrites both files, as a reset
// and a new join would). Without the join file they are not provably ours: kubeadm refuses,
// and its message says which file.
std::vector<std::string> KubeadmLeftovers(const Paths& paths, Notes& notes) {
  if (!fs::exists(paths.Host(kKubeadmConfigPath))) return {};
  std::vector<std::string> ignore;
  for (const std::string_view file : {kBootstrapKubeconfigPath, kKubeadmCaCertPath}) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(paths.Host(file), ec))) continue;
    ignore.push_back(FileAvailableCheckName(file));
    notes.Add(
        fmt::format("{} is left from nodeboot's interrupted kubeadm join ({} exists): kubeadm ignores its "
                    "preflight check {} and writes it anew",
                    file, kKubeadmConfigPath, ignore.back()));
  }
  return ignore;
}

// containerd must run, on the volume the storage phase mounted, before kubeadm's CRI preflight
// or the kubelet needs it. A node without containerd.service (another runtime) is left as is.
Status StartContainerRuntime(run::PhaseContext& context, const UnitControl& units, Notes& notes) {
  if (context.config.node_template.runtime_is_docker()) return Ok();
  if (!context.dry_run) {
    NB_TRY_ASSIGN(const UnitState state, ShowUnit(units, kContainerdUnit));
    if (!state.exists()) {
      notes.Add(fmt::format("{} is not installed: the container runtime is left to the image", kContainerdUnit));
      return Ok();
    }
    if (state.active_state == "active") return Ok();
  }
  return StartUnit(units, kContainerdUnit, UnitVerb::kStart);
}

Status JoinWithKubeadm(run::PhaseContext& context, const JoinSettings& settings, KubeadmApi api, Notes& notes) {
  NB_TRY(Write(context, kKubeadmConfigPath, RenderKubeadmJoinConfiguration(settings, api).Reveal(), fs::perms(0600)));
  if (!settings.fail_cgroup_v1) {
    NB_TRY(Write(context, kKubeletConfigurationPatchPath, RenderKubeletConfigurationPatch(), fs::perms(0644)));
  }
  const seconds limit = KubeadmJoinLimit(settings.timeouts, api);
  NB_TRY(RunCommand(context, {"kubeadm", "join", "--config", context.files.Real(kKubeadmConfigPath).string()}, limit,
                    notes));
  return Ok();
}

Status JoinWithKubelet(run::PhaseContext& context, const JoinSettings& settings, const UnitControl& units,
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
  }
  bool active = false;
  if (!context.dry_run) {
    NB_TRY_ASSIGN(const UnitState state, ShowUnit(units, kKubeletUnit));
    if (!state.exists()) {
      return errors::JoinFailed(
          fmt::format("{} is not installed (install the kubelet package in the node image)", kKubeletUnit));
    }
    active = state.active_state == "active";
  }
  // A kubelet that runs with these very files is left running. Otherwise it is stopped before
  // the files change, as kubeadm does: the packages leave it crash-looping until configured,
  // and its Restart= would otherwise start it on the new files between daemon-reload and our
  // start (then our start restarts it in the middle of its TLS bootstrap: two CSRs).
  const bool restart = changed || !active;
  if (restart) NB_TRY(StopUnit(units, kKubeletUnit));
  for (const auto& file : files) NB_TRY(Write(context, file.path, file.content, file.mode));
  NB_TRY(RunCommand(context, {"systemctl", "daemon-reload"}, seconds(120), notes));
  NB_TRY(RunCommand(context, {"systemctl", "enable", std::string(kKubeletUnit)}, seconds(120), notes));
  if (!restart) return Ok();
  return StartUnit(units, kKubeletUnit, UnitVerb::kStart);
}

// kubeadm mode: the podsPerCore the kubelet got from the cluster (kubeadm wrote it there).
int KubeadmPodsPerCore(const Paths& paths, Notes& notes) {
  const auto text = ReadFile(paths.Host(kKubeadmKubeletConfigPath), 4 << 20);
  if (!text) return 0;
  auto settings = ParseKubeletConfiguration(*text, kKubeadmKubeletConfigPath);
  if (!settings) {
    notes.Add(settings.error().message);
    return 0;
  }
  return settings->pods_per_core;
}

Result<ApiCredentials> KubeletCredentials(const Paths& paths) {
  if (!fs::exists(paths.Host(kKubeletKubeconfigPath))) {
    return errors::JoinFailed(fmt::format(
        "{} does not exist yet (kubeadm join or the kubelet's TLS bootstrap writes it)", kKubeletKubeconfigPath));
  }
  return ReadKubeconfig(paths, kKubeletKubeconfigPath);
}

class JoinPhase : public run::Phase {
 public:
  explicit JoinPhase(JoinEnvironment environment) : environment_(std::move(environment)) {}

  std::string_view name() const override { return "join"; }
  bool is_script() const override { return false; }
  std::string NothingToDo(const config::NodeConfig& config) const override {
    return config.cluster.join == config::JoinMode::kNone ? "no cluster to join (cluster.join absent or none)" : "";
  }

  bool needs_node_services() const override { return true; }

  run::PhaseOutcome Run(run::PhaseContext& context) override {
    Notes notes(context.config);
    Status status = Join(context, notes);
    return {std::move(status), notes.Lines()};
  }

 private:
  Status Join(run::PhaseContext& context, Notes& notes) {
    const std::string& node_name = context.identity.node_name;
    if (auto why = config::CheckDns1123Subdomain(node_name); !why.empty()) {
      return errors::JoinFailed(
          fmt::format("node name \"{}\" cannot name a Kubernetes Node: {} (set node.name)", node_name, why));
    }
    const bool with_kubeadm = context.config.cluster.join == config::JoinMode::kKubeadm;
    JoinSettings settings = SettingsFor(context.config, node_name);
    NodeExpectations expected{node_name, settings.labels, settings.taints, settings.max_pods, 0};
    if (with_kubeadm) expected.pods_per_core = KubeadmPodsPerCore(context.paths, notes);
    HttpClient& http = context.http;
    const Paths& paths = context.paths;
    const CredentialsSource credentials = [&paths] { return KubeletCredentials(paths); };
    const UnitControl units{
        context.runner,  environment_.clock,      [&notes](const std::string& line) { notes.Add(line); },
        context.dry_run, environment_.unit_limit, environment_.unit_poll};

    const bool joined_before = fs::exists(paths.Host(kKubeletKubeconfigPath));
    if (joined_before) {
      const NodeObservation seen = LookAtNode(http, credentials(), expected, kProbeTimeout);
      if (seen.ready_as_asked()) {
        notes.Add(fmt::format("{} exists and Node {} is {}: already joined, left alone", kKubeletKubeconfigPath,
                              node_name, seen.detail));
        return Ok();
      }
      notes.Add(fmt::format("{} exists but Node {} is not Ready as asked: {}", kKubeletKubeconfigPath, node_name,
                            seen.detail));
    }

    if (with_kubeadm && joined_before) {
      // kubeadm refuses a node that has a kubelet.conf; `kubeadm reset` is the operator's call.
      notes.Add(
          fmt::format("not running kubeadm join: {} exists, so this node joined before and kubeadm would "
                      "refuse (`kubeadm reset` first to join anew); waiting for the Node instead",
                      kKubeletKubeconfigPath));
    } else if (with_kubeadm) {
      // Every check before the first write: the API kubeadm reads, the host's cgroups.
      NB_TRY_ASSIGN(const KubernetesVersion kubeadm,
                    InstalledVersion(context, {"kubeadm", "version", "-o", "short"}, notes));
      NB_TRY_ASSIGN(const KubeadmApi api, KubeadmApiFor(kubeadm));
      notes.Add(fmt::format("kubeadm {}: writing a {} JoinConfiguration", ToString(kubeadm), ApiVersionOf(api)));
      NB_TRY(CheckCgroups(context, settings, kubeadm, notes));
      settings.ignore_preflight_errors = KubeadmLeftovers(paths, notes);
      NB_TRY(StartContainerRuntime(context, units, notes));
      NB_TRY(JoinWithKubeadm(context, settings, api, notes));
      expected.pods_per_core = KubeadmPodsPerCore(context.paths, notes);
    } else {
      NB_TRY(CheckCgroups(context, settings, std::nullopt, notes));
      NB_TRY(ResolveClusterDns(context, http, settings, notes));
      NB_TRY(StartContainerRuntime(context, units, notes));
      NB_TRY(JoinWithKubelet(context, settings, units, notes));
    }
    if (context.dry_run) {
      notes.Add(fmt::format("dry run: not waiting for Node {} to be Ready", node_name));
      return Ok();
    }

    ReadinessPolicy policy;
    policy.budget = seconds(context.config.cluster.ready_timeout_seconds);
    policy.base_delay = environment_.base_delay;
    policy.max_delay = environment_.max_delay;
    policy.stopped = context.stopping;
    notes.Add(fmt::format("waiting up to {} s for Node {} to be Ready", context.config.cluster.ready_timeout_seconds,
                          node_name));
    return WaitForReady(http, credentials, expected, policy, environment_.clock,
                        [&notes](const std::string& line) { notes.Add(line); });
  }

  JoinEnvironment environment_;
};

}  // namespace

std::unique_ptr<run::Phase> MakeJoinPhase(JoinEnvironment environment) {
  return std::make_unique<JoinPhase>(std::move(environment));
}

}  // namespace nodeboot::join
