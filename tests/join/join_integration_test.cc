// The join phase from outside (SPEC §6): the built binary with a --root temp dir, fake
// `kubeadm` and `systemctl` programs on PATH (tests/join/fake-bin) and a fake API server on
// 127.0.0.1 (fake_apiserver.py), over TLS with certificates made here by openssl.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/base/base64.h"
#include "tests/join/fake_apiserver.h"
#include "tests/support/phase_record.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeApiServer;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::Slurp;

constexpr const char* kToken = "nbtest.k7q2m9x4p1z8w3v6";
constexpr const char* kTokenSecretPart = "k7q2m9x4p1z8w3v6";
constexpr const char* kHash = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// The certificates, made once for the suite: a CA, a server certificate for 127.0.0.1 and a
// kubelet client certificate (CN system:node:worker-1), all signed by the CA.
struct Certificates {
  testing::TempDir dir;
  fs::path Path(const char* name) const { return dir.path() / name; }
};

void OpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  const auto made = testing::RunProcess(args);
  ASSERT_EQ(made.exit_code, 0) << made.err;
}

class JoinTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new Certificates;
    const auto p = [](const char* name) { return certs_->Path(name).string(); };
    const std::vector<std::string> ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto with = [&ec](std::vector<std::string> args) {
      args.insert(args.begin() + 1, ec.begin(), ec.end());
      return args;
    };
    OpenSsl(with(
        {"req", "-x509", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "1", "-subj", "/CN=fake-cluster-ca"}));
    certs_->dir.Write("server.ext", "subjectAltName=IP:127.0.0.1\n");
    for (const auto& [name, subject] :
         {std::pair{"server", "/CN=127.0.0.1"}, std::pair{"client", "/O=system:nodes/CN=system:node:worker-1"}}) {
      const std::string n(name);
      OpenSsl(with({"req", "-keyout", p((n + ".key").c_str()), "-out", p((n + ".csr").c_str()), "-subj", subject}));
      std::vector<std::string> sign{"x509",
                                    "-req",
                                    "-in",
                                    p((n + ".csr").c_str()),
                                    "-CA",
                                    p("ca.crt"),
                                    "-CAkey",
                                    p("ca.key"),
                                    "-CAcreateserial",
                                    "-out",
                                    p((n + ".crt").c_str()),
                                    "-days",
                                    "1"};
      if (n == "server") sign.insert(sign.end(), {"-extfile", p("server.ext")});
      OpenSsl(sign);
    }
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  // The node's config: `join` mode, `api_server`, and the node template's k8sTags, taints and
  // maxPods (`extra_template` is more of nodeTemplate, indented by two).
  void WriteConfig(const std::string& join, const std::string& api_server, int ready_timeout = 4,
                   const std::string& labels = "    node.kubernetes.io/pool: gpu\n    team: data\n",
                   const std::string& extra_template = "") {
    std::string config = fmt::format(
        "node: {{name: worker-1, instanceId: i-0abc}}\n"
        "cluster:\n  join: {}\n  apiServer: {}\n  bootstrapToken: {}\n  readyTimeoutSeconds: {}\n",
        join, api_server, kToken, ready_timeout);
    config += cluster_extra_;
    config += join == "kubeadm" ? fmt::format("  caCertHash: {}\n", kHash) : "  caFile: /etc/kubernetes/pki/ca.crt\n";
    config += "nodeTemplate:\n  k8sTags:\n" + labels +
              "  taints:\n    - {key: dedicated, value: gpu, effect: NoSchedule}\n"
              "  extendParam:\n    maxPods: 64\n" +
              extra_template;
    root_.Write("etc/nodeboot/config.yaml", config);
  }

  // The kubelet.conf the fake kubeadm/kubelet will install: `server` and a `user` block.
  void WriteKubeletConf(const std::string& server, const std::string& cluster_extra, const std::string& user) {
    fake_.Write("kubelet.conf", fmt::format("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: {}\n{}"
                                            "  name: default-cluster\ncontexts:\n- context:\n"
                                            "    cluster: default-cluster\n    user: default-auth\n"
                                            "  name: default-context\ncurrent-context: default-context\n"
                                            "users:\n- name: default-auth\n  user:\n{}",
                                            server, cluster_extra, user));
  }

  // The node as the API server shows it: everything the config asks for, unless changed.
  static json Node(const std::string& pods = "64", bool with_taint = true) {
    json node = {
        {"kind", "Node"},
        {"apiVersion", "v1"},
        {"metadata",
         {{"name", "worker-1"},
          {"labels", {{"kubernetes.io/hostname", "worker-1"}, {"node.kubernetes.io/pool", "gpu"}, {"team", "data"}}}}},
        {"spec", {{"taints", json::array()}}},
        {"status", {{"capacity", {{"cpu", "4"}, {"pods", pods}}}}}};
    if (with_taint)
      node["spec"]["taints"].push_back({{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}});
    return node;
  }

  std::map<std::string, std::string> Env() const {
    const char* path = std::getenv("PATH");
    return {{"PATH", std::string(NODEBOOT_SOURCE_DIR) + "/tests/join/fake-bin:" + (path ? path : "/usr/bin:/bin")},
            {"NB_FAKE_DIR", fake_.path().string()},
            {"NB_FAKE_ROOT", root_.path().string()},
            {"NB_FAKE_KUBELET_CONF",
             fs::exists(fake_.path() / "kubelet.conf") ? (fake_.path() / "kubelet.conf").string() : ""},
            {"NB_FAKE_KUBEADM_ERROR", kubeadm_error_},
            {"NB_FAKE_KUBEADM_VERSION", kubeadm_version_}};
  }

  ProcessResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--root", root_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = testing::RunNodeboot(args, Env());
    outputs_ += result.out + result.err;
    return result;
  }

  // The commands that change something, in order (not `systemctl show`, not `kubeadm version`).
  std::vector<std::string> Commands() const {
    std::vector<std::string> lines;
    std::istringstream in(Slurp(fake_.path() / "commands"));
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("systemctl show ") && line != "kubeadm version -o short") lines.push_back(line);
    }
    return lines;
  }
  json State() const { return json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json")); }
  std::string JoinError() const { return State()["phases"]["join"]["error"]["message"].get<std::string>(); }
  std::string Real(const std::string& host_path) const { return (root_.path() / host_path.substr(1)).string(); }

  // The bootstrap token is in the 0600 files it is written to, and nowhere else.
  void ExpectTokenNowhere() const {
    const std::string places = outputs_ + Slurp(root_.path() / "var/log/nodeboot/nodeboot.log") +
                               Slurp(root_.path() / "var/lib/nodeboot/state.json");
    EXPECT_THAT(places, Not(HasSubstr(kTokenSecretPart)));
    EXPECT_THAT(places, Not(HasSubstr(EncodeBase64(kToken).substr(0, 20))));
  }

  static unsigned Mode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  }

  // Starts a run whose kubeadm stops at `stage` (the fake's NB_FAKE_KUBEADM_HOLD), then kills
  // nodeboot with SIGKILL and kubeadm with it, as a node going down would.
  void KillInsideKubeadmJoin(const std::string& stage) {
    auto env = Env();
    env["NB_FAKE_KUBEADM_HOLD"] = stage;
    const pid_t pid = testing::StartProcess({NODEBOOT_BINARY, "run", "--root", root_.path().string()}, env,
                                            servers_.path() / "killed.out", servers_.path() / "killed.err");
    const auto held = fake_.path() / "kubeadm-held";
    const auto started = std::chrono::steady_clock::now();
    while (!fs::exists(held) && std::chrono::steady_clock::now() - started < std::chrono::seconds(30)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(fs::exists(held)) << "kubeadm never reached " << stage << ": " << Slurp(servers_.path() / "killed.err");
    ::kill(std::stoi(Slurp(fake_.path() / "kubeadm.pid")), SIGKILL);
    fs::remove(held);
  }
  // A cluster whose Node is Ready as asked from the first look, joined in kubeadm mode.
  void ReadyNodeJoinedWithKubeadm(const FakeApiServer& server) {
    server.SetNode(Node());
    server.SetPlan({{{"ready", true}}});
    WriteKubeletConf(server.Url(), "", "    token: kubelet-session-token\n");
    WriteConfig("kubeadm", "https://10.0.0.10:6443");
  }
  size_t KubeadmJoins() const {
    size_t joins = 0;
    for (const auto& line : Commands()) joins += line.starts_with("kubeadm join ") ? 1 : 0;
    return joins;
  }

  static Certificates* certs_;
  testing::TempDir root_;
  testing::TempDir fake_;     // the fake programs' records and the kubelet.conf they install
  testing::TempDir servers_;  // the fake API server's files
  std::string kubeadm_error_;
  std::string kubeadm_version_ = "v1.31.4";
  std::string cluster_extra_;  // more of the cluster section, indented by two
  std::string outputs_;        // every stdout and stderr of the binary so far
};

Certificates* JoinTest::certs_ = nullptr;

TEST_F(JoinTest, KubeadmJoinWritesTheConfigRunsKubeadmAndWaitsForReady) {
  FakeApiServer server(servers_.path() / "api");
  server.SetNode(Node());
  server.SetPlan({{{"status", 404}}, {{"ready", false}}, {{"ready", true}}});
  WriteKubeletConf(server.Url(), "", "    token: kubelet-session-token\n");
  WriteConfig("kubeadm", "https://10.0.0.10:6443");

  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string config_path = Real("/etc/kubernetes/nodeboot-join.yaml");
  // containerd first (kubeadm's CRI preflight needs it), without blocking on the job queue;
  // kubeadm's own blocking kubelet restart follows.
  EXPECT_THAT(Commands(), ElementsAre("systemctl start --no-block containerd.service",
                                      "kubeadm join --config " + config_path, "systemctl restart kubelet"));
  // kubeadm 1.31 reads v1beta4 (the whole file is pinned by tests/data/join/golden).
  const std::string written = Slurp(fake_.path() / "kubeadm-config.yaml");
  EXPECT_THAT(written, HasSubstr("apiVersion: \"kubeadm.k8s.io/v1beta4\"\n"));
  EXPECT_THAT(written, HasSubstr(R"(  kubeletExtraArgs:
    - name: "node-labels"
      value: "node.kubernetes.io/pool=gpu,team=data"
    - name: "max-pods"
      value: "64"
)"));
  EXPECT_EQ(Mode(config_path), 0600u);
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]["path"], "/api/v1/nodes/worker-1");
  EXPECT_EQ(requests[0]["authorization"], "Bearer kubelet-session-token");
  EXPECT_EQ(State()["phases"]["join"]["status"], "succeeded");
  EXPECT_THAT(State()["phases"]["join"]["output"].dump(), HasSubstr("This node has joined the cluster"));
  ExpectTokenNowhere();

  // A plain re-run skips the phase (state); a repair looks once and leaves the node alone.
  ASSERT_EQ(Run().exit_code, 0);
  const auto repaired = Run({"--repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_THAT(repaired.err, HasSubstr("already joined, left alone"));
  EXPECT_EQ(Commands().size(), 3u);  // no kubeadm, no systemctl
  EXPECT_EQ(server.Requests().size(), 4u);
  ExpectTokenNowhere();
}

// nodeboot killed inside `kubeadm join` (and kubeadm with it: the node went down) before kubeadm
// wrote anything: the next plain run joins again.
TEST_F(JoinTest, KilledInKubeadmPreflightTheNextRunJoinsAgain) {
  FakeApiServer server(servers_.path() / "api");
  ReadyNodeJoinedWithKubeadm(server);
  ASSERT_NO_FATAL_FAILURE(KillInsideKubeadmJoin("after-preflight"));
  EXPECT_EQ(State()["phases"]["join"]["status"], "running");  // what the killed run left

  const auto again = Run();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(State()["phases"]["join"]["status"], "succeeded");
  EXPECT_EQ(KubeadmJoins(), 2u);
  EXPECT_THAT(Slurp(fake_.path() / "kubeadm-config.yaml"), Not(HasSubstr("ignorePreflightErrors")));
  ExpectTokenNowhere();
}

// Killed after kubeadm's kubelet-start wrote the bootstrap kubeconfig and the cluster CA but
// before the TLS bootstrap made kubelet.conf: kubeadm's own preflight would refuse every later
// join over those files. They are nodeboot's leftovers (its join file is there), so the next run
// tells kubeadm to ignore exactly those two checks, and converges.
TEST_F(JoinTest, KilledAfterKubeadmWroteItsBootstrapFilesTheNextRunJoinsOverThem) {
  FakeApiServer server(servers_.path() / "api");
  ReadyNodeJoinedWithKubeadm(server);
  ASSERT_NO_FATAL_FAILURE(KillInsideKubeadmJoin("after-kubelet-start"));
  ASSERT_TRUE(fs::exists(Real("/etc/kubernetes/bootstrap-kubelet.conf")));
  ASSERT_FALSE(fs::exists(Real("/etc/kubernetes/kubelet.conf")));

  const auto again = Run();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(State()["phases"]["join"]["status"], "succeeded");
  EXPECT_EQ(KubeadmJoins(), 2u);
  EXPECT_THAT(Slurp(fake_.path() / "kubeadm-config.yaml"), HasSubstr(R"(  ignorePreflightErrors:
    - "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf"
    - "FileAvailable--etc-kubernetes-pki-ca.crt"
)"));
  EXPECT_THAT(again.err, HasSubstr("left from nodeboot's interrupted kubeadm join"));
  ExpectTokenNowhere();
}

// The same files without nodeboot's join file are not provably nodeboot's (an image made from
// a half-joined node, another tool): kubeadm's preflight refuses, nodeboot says so, and the files
// are left as they were.
TEST_F(JoinTest, KubeadmLeftoversThatAreNotNodebootsAreRefusedByKubeadmAndKept) {
  FakeApiServer server(servers_.path() / "api");
  ReadyNodeJoinedWithKubeadm(server);
  root_.Write("etc/kubernetes/bootstrap-kubelet.conf", "someone else's\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_THAT(JoinError(), HasSubstr("FileAvailable--etc-kubernetes-bootstrap-kubelet.conf"));
  EXPECT_EQ(Slurp(Real("/etc/kubernetes/bootstrap-kubelet.conf")), "someone else's\n");
}

TEST_F(JoinTest, KubeletModeWritesItsFilesStartsTheKubeletAndUsesTlsWithCertificateFiles) {
  FakeApiServer server(servers_.path() / "api", {certs_->Path("server.crt").string(),
                                                 certs_->Path("server.key").string(), certs_->Path("ca.crt").string()});
  server.SetNode(Node());
  // The files TLS bootstrap leaves: the cluster CA and the kubelet's client certificate + key.
  root_.Write("etc/kubernetes/pki/ca.crt", Slurp(certs_->Path("ca.crt")));
  root_.Write("var/lib/kubelet/pki/kubelet-client-current.pem",
              Slurp(certs_->Path("client.crt")) + Slurp(certs_->Path("client.key")));
  WriteKubeletConf(server.Url(), "    certificate-authority: /etc/kubernetes/pki/ca.crt\n",
                   "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
                   "    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n");
  // A storage spec puts the kubelet's root on the kubernetes volume; storage itself is skipped
  // here (it needs disks).
  WriteConfig("kubelet", server.Url(), 6, "    team: data\n",
              "    DockerLVMConfigOverride: 'dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG'\n");

  // No clusterDNS in the config: the cluster's, read with the bootstrap token over TLS.
  server.SetKubeletConfigMap(
      "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.10\n"
      "clusterDomain: cluster.local\ncgroupDriver: systemd\n");

  const auto result = Run({"--skip", "storage"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // A kubelet that never ran needs no stop; it starts once its files are in place.
  EXPECT_THAT(Commands(),
              ElementsAre("systemctl start --no-block containerd.service", "systemctl daemon-reload",
                          "systemctl enable kubelet.service", "systemctl start --no-block kubelet.service"));
  EXPECT_EQ(Slurp(Real("/etc/kubernetes/bootstrap-kubelet.conf")),
            fmt::format(
                R"(# Written by nodeboot for the kubelet's TLS bootstrap. It holds the bootstrap token: mode 0600.
apiVersion: "v1"
kind: "Config"
clusters:
  - name: "bootstrap"
    cluster:
      server: "{}"
      certificate-authority: "/etc/kubernetes/pki/ca.crt"
contexts:
  - name: "bootstrap"
    context:
      cluster: "bootstrap"
      user: "kubelet-bootstrap"
current-context: "bootstrap"
users:
  - name: "kubelet-bootstrap"
    user:
      token: "{}"
)",
                server.Url(), kToken));
  EXPECT_EQ(Mode(Real("/etc/kubernetes/bootstrap-kubelet.conf")), 0600u);
  EXPECT_EQ(Slurp(Real("/etc/kubernetes/kubelet-config.yaml")),
            R"(# Written by nodeboot (cluster.join: kubelet); rewritten on every join.
apiVersion: "kubelet.config.k8s.io/v1beta1"
kind: "KubeletConfiguration"
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: "/etc/kubernetes/pki/ca.crt"
authorization:
  mode: "Webhook"
cgroupDriver: "systemd"
containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock"
rotateCertificates: true
clusterDNS:
  - "10.96.0.10"
clusterDomain: "cluster.local"
maxPods: 64
registerWithTaints:
  - key: "dedicated"
    value: "gpu"
    effect: "NoSchedule"
)");
  EXPECT_EQ(Slurp(Real("/etc/systemd/system/kubelet.service.d/10-nodeboot.conf")),
            R"(# Written by nodeboot (cluster.join: kubelet); rewritten on every join.
# ExecStart is replaced whole, so flags from other drop-ins (10-kubeadm.conf) do not mix in.
[Service]
ExecStart=
ExecStart=/usr/bin/kubelet \
    --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
    --kubeconfig=/etc/kubernetes/kubelet.conf \
    --config=/etc/kubernetes/kubelet-config.yaml \
    --root-dir=/mnt/paas/kubernetes/kubelet \
    --hostname-override=worker-1 \
    --node-labels=team=data
)");
  // The kubelet.conf appeared a second after the kubelet started; then one TLS request with
  // the kubelet's client certificate was enough.
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["path"], "/api/v1/namespaces/kube-system/configmaps/kubelet-config");
  EXPECT_EQ(requests[0]["authorization"], std::string("Bearer ") + kToken);
  EXPECT_EQ(requests[1]["clientCN"], "system:node:worker-1");
  EXPECT_EQ(requests[1]["authorization"], nullptr);
  EXPECT_THAT(State()["phases"]["join"]["output"].dump(), HasSubstr("kubelet.conf does not exist yet"));
  ExpectTokenNowhere();

  // Repair on the Ready node: one look, no file rewritten, no systemctl.
  const auto repaired = Run({"--repair", "--skip", "storage"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_EQ(Commands().size(), 4u);
  EXPECT_EQ(server.Requests().size(), 3u);
}

TEST_F(JoinTest, TheJoinFileFollowsTheInstalledKubeadm) {
  FakeApiServer server(servers_.path() / "api");
  server.SetNode(Node());
  WriteKubeletConf(server.Url(), "", "    token: kubelet-session-token\n");
  // The fake kubeadm refuses, as the real one does, v1beta3 from 1.37 and v1beta4 before 1.31.
  for (const auto& [version, api] : {std::pair{"v1.30.14", "v1beta3"}, std::pair{"v1.37.0", "v1beta4"}}) {
    fs::remove(Real("/etc/kubernetes/kubelet.conf"));
    fs::remove(Real("/var/lib/nodeboot/state.json"));
    kubeadm_version_ = version;
    WriteConfig("kubeadm", "https://10.0.0.10:6443");
    const auto result = Run();
    ASSERT_EQ(result.exit_code, 0) << version << ": " << result.err;
    EXPECT_THAT(Slurp(fake_.path() / "kubeadm-config.yaml"),
                HasSubstr(fmt::format("apiVersion: \"kubeadm.k8s.io/{}\"", api)));
    EXPECT_THAT(result.err,
                HasSubstr(fmt::format("kubeadm {}: writing a kubeadm.k8s.io/{} JoinConfiguration", version, api)));
  }
}

TEST_F(JoinTest, KubeadmOlderThan122IsAJoinErrorBeforeAnythingIsWrittenOrStarted) {
  kubeadm_version_ = "v1.21.14";
  WriteConfig("kubeadm", "https://10.0.0.10:6443");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_THAT(JoinError(), HasSubstr("kubeadm v1.21.14 is older than 1.22"));
  EXPECT_TRUE(Commands().empty());
  EXPECT_FALSE(fs::exists(Real("/etc/kubernetes/nodeboot-join.yaml")));
}

TEST_F(JoinTest, KubeletModeWithoutClusterDnsAnywhereFailsBeforeWriting) {
  // Serves no kubelet-config ConfigMap.
  FakeApiServer server(servers_.path() / "api",
                       {certs_->Path("server.crt").string(), certs_->Path("server.key").string(), ""});
  root_.Write("etc/kubernetes/pki/ca.crt", Slurp(certs_->Path("ca.crt")));
  WriteConfig("kubelet", server.Url());
  const auto result = Run({"--skip", "storage"});
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_THAT(JoinError(), HasSubstr("cluster.clusterDNS is not set and the cluster's could not be read: ConfigMap "
                                     "kube-system/kubelet-config: HTTP 404: configmaps \"kubelet-config\" not found"));
  EXPECT_TRUE(Commands().empty());
  EXPECT_FALSE(fs::exists(Real("/etc/kubernetes/bootstrap-kubelet.conf")));
  EXPECT_FALSE(fs::exists(Real("/etc/kubernetes/kubelet-config.yaml")));
  ExpectTokenNowhere();
}

TEST_F(JoinTest, KubeadmOverTlsWithInlineCredentialsAndThrottlingHonoursRetryAfter) {
  FakeApiServer server(servers_.path() / "api", {certs_->Path("server.crt").string(),
                                                 certs_->Path("server.key").string(), certs_->Path("ca.crt").string()});
  server.SetNode(Node());
  server.SetPlan({{{"status", 429}, {"headers", {{"Retry-After", "2"}}}}, {{"ready", true}}});
  WriteKubeletConf(server.Url(),
                   "    certificate-authority-data: " + EncodeBase64(Slurp(certs_->Path("ca.crt"))) + "\n",
                   "    client-certificate-data: " + EncodeBase64(Slurp(certs_->Path("client.crt"))) +
                       "\n    client-key-data: " + EncodeBase64(Slurp(certs_->Path("client.key"))) + "\n");
  WriteConfig("kubeadm", "10.0.0.10:6443");

  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1]["clientCN"], "system:node:worker-1");
  // The backoff alone would have waited 0.5 s; the server asked for 2.
  EXPECT_GE(requests[1]["time"].get<double>() - requests[0]["time"].get<double>(), 1.9);
  EXPECT_THAT(result.err, HasSubstr("HTTP 429"));
}

TEST_F(JoinTest, NodeThatNeverGetsReadyTimesOutWithThirtyOneAndTheLastStatus) {
  FakeApiServer server(servers_.path() / "api");
  server.SetNode(Node());
  server.SetPlan({{{"ready", false}}});
  WriteKubeletConf(server.Url(), "", "    token: kubelet-session-token\n");
  WriteConfig("kubeadm", "https://10.0.0.10:6443", 2);

  const auto start = std::chrono::steady_clock::now();
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 31) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(State()["phases"]["join"]["error"]["code"], "NB-JOIN-TIMEOUT");
  EXPECT_THAT(JoinError(), HasSubstr("Node worker-1 not Ready after 2 s: last answer: Ready=False: KubeletNotReady: "
                                     "container runtime network not ready"));
  EXPECT_GE(server.Requests().size(), 3u);  // 0, 0.5, 1.5, 2 s
  ExpectTokenNowhere();
}

TEST_F(JoinTest, ReadyNodeWithoutTheTaintOrThePodsFailsWithThirtyNamingThem) {
  FakeApiServer server(servers_.path() / "api");
  server.SetNode(Node("110", /*with_taint=*/false));
  WriteKubeletConf(server.Url(), "", "    token: kubelet-session-token\n");
  WriteConfig("kubeadm", "https://10.0.0.10:6443");

  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_EQ(JoinError(),
            "Node worker-1 is Ready but lacks what nodeboot asked for: taint dedicated=gpu:NoSchedule, "
            "status.capacity.pods 64 (is 110)");
  EXPECT_EQ(server.Requests().size(), 1u);  // no waiting for what will not come
}

TEST_F(JoinTest, ApiServerThatNeverAnswersIsAFailedJoin) {
  WriteKubeletConf("http://127.0.0.1:1", "", "    token: kubelet-session-token\n");
  WriteConfig("kubeadm", "https://10.0.0.10:6443", 2);
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_THAT(JoinError(), HasSubstr("the API server never answered for Node worker-1 within 2 s: "
                                     "GET http://127.0.0.1:1/api/v1/nodes/worker-1"));
}

TEST_F(JoinTest, KubeletConfThatNeverAppearsIsAFailedJoin) {
  WriteConfig("kubeadm", "https://10.0.0.10:6443", 1);
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_THAT(JoinError(), HasSubstr("/etc/kubernetes/kubelet.conf does not exist yet"));
}

TEST_F(JoinTest, FailingKubeadmIsExitThirtyWithItsFirstErrorLine) {
  kubeadm_error_ = "couldn't validate the identity of the API Server: token id \"nbtest\" is invalid";
  WriteConfig("kubeadm", "https://10.0.0.10:6443");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 30) << result.err;
  EXPECT_EQ(JoinError(), fmt::format("kubeadm join --config {}: exit 1: error execution phase preflight: {}",
                                     Real("/etc/kubernetes/nodeboot-join.yaml"), kubeadm_error_));
  EXPECT_EQ(State()["phases"]["join"]["error"]["code"], "NB-JOIN-FAILED");
  EXPECT_EQ(testing::PhaseIn(State()["lastRun"], "postInstall")["status"], "not-run");
  ExpectTokenNowhere();
}

TEST_F(JoinTest, DryRunPrintsTheWritesAndCommandsAndChangesNothing) {
  cluster_extra_ = "  clusterDNS: [10.247.3.10]\n";
  WriteConfig("kubelet", "https://10.0.0.10:6443");
  const auto result = Run({"--dry-run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("would write " + Real("/etc/kubernetes/bootstrap-kubelet.conf") + " (mode 0600"));
  EXPECT_THAT(result.out, HasSubstr("would write " + Real("/etc/kubernetes/kubelet-config.yaml") + " (mode 0644"));
  EXPECT_THAT(result.out, HasSubstr("would run: systemctl enable kubelet.service"));
  EXPECT_THAT(result.out, HasSubstr("would run: systemctl stop --no-block kubelet.service"));
  EXPECT_THAT(result.out, HasSubstr("would run: systemctl start --no-block kubelet.service"));
  EXPECT_THAT(result.err, HasSubstr("dry run: not waiting for Node worker-1 to be Ready"));
  EXPECT_TRUE(Commands().empty());
  EXPECT_FALSE(fs::exists(Real("/etc/kubernetes")));
  ExpectTokenNowhere();
}

TEST_F(JoinTest, JoinNoneIsSkippedAndSaysSo) {
  root_.Write("etc/nodeboot/config.yaml", "node: {name: worker-1, instanceId: i-0abc}\ncluster: {join: none}\n");
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::PhaseIn(State()["lastRun"], "join")["status"], "skipped");
  EXPECT_EQ(testing::PhaseIn(State()["lastRun"], "join")["reason"], "no cluster to join (cluster.join absent or none)");
  EXPECT_TRUE(Commands().empty());
}

TEST_F(JoinTest, NodeRestrictionLabelIsRefusedAtValidation) {
  WriteConfig("kubeadm", "https://10.0.0.10:6443", 4, "    node-role.kubernetes.io/worker: \"\"\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("nodeTemplate.k8sTags.node-role.kubernetes.io/worker: the NodeRestriction "
                                    "admission plugin forbids"));
  EXPECT_TRUE(Commands().empty());
  EXPECT_FALSE(fs::exists(Real("/etc/kubernetes")));
}

}  // namespace
}  // namespace nodeboot
