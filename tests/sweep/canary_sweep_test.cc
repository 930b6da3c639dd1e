// The canary-secret sweep (issue 9): a config whose task token, bootstrap token and scripts
// carry distinctive canaries goes through a whole succeeding and a whole failing run and then
// every reading command (status, status json, logs, report --flush, plan, validate, a dry run),
// `collect` (every member of the support bundle, extracted) and `clean` (issue 18.5).
// No canary - plain or base64-encoded - may appear in any output or in any file under the root,
// except the config itself and the script files, which must hold the scripts to run them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "agent/base/base64.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Slurp;

const std::string kTaskToken = "canary-task-token-9b2e41";
const std::string kBootstrapToken = "c4n4ry.c4n4ryb00t5tr4p9";
const std::string kPreCanary = "canary-pre-body-31c7d0";
const std::string kPostCanary = "canary-post-body-a8f2e6";

// What any base64 text that contains `secret` must contain: the encoding of its part starting
// at one of the three alignments.
std::vector<std::string> Base64Needles(const std::string& secret) {
  std::vector<std::string> needles;
  for (size_t skip = 0; skip < 3; ++skip) {
    const std::string part = secret.substr(skip);
    needles.push_back(EncodeBase64(part.substr(0, part.size() / 3 * 3)));
  }
  return needles;
}

// A script that holds its canary in a line of its own and in a variable, prints it, prints
// itself, prints the tokens it could have found, then exits with `exit_code`.
std::string Script(const std::string& canary, int exit_code) {
  return "CANARY_VALUE=" + canary +
         "\n"
         "# " +
         canary +
         " comment line\n"
         "echo \"value: $CANARY_VALUE\"\n"
         "echo \"tokens: " +
         kTaskToken + " " + kBootstrapToken +
         "\" >&2\n"
         "cat \"$0\"\n"
         "exit " +
         std::to_string(exit_code) + "\n";
}

class CanarySweepTest : public ::testing::Test {
 protected:
  // `noise`: script lines that run before the pre-install script's canary lines.
  void WriteConfig(int pre_exit, const std::string& noise = "") {
    root_.Write("etc/nodeboot/config.yaml",
                "node: {name: worker-1, instanceId: i-0abc}\n"
                "task: {id: t1, url: 'http://127.0.0.1:9/r', token: " +
                    kTaskToken +
                    ", deliverySeconds: 0}\n"
                    "cluster: {join: none, bootstrapToken: " +
                    kBootstrapToken +
                    "}\n"
                    "nodeTemplate:\n  extendParam:\n"
                    "    alpha.cce/preInstall: " +
                    EncodeBase64(KeepProgress() + noise + Script(kPreCanary, pre_exit)) +
                    "\n"
                    "    alpha.cce/postInstall: " +
                    EncodeBase64(Script(kPostCanary, 0)) + "\n");
  }

  // A script line that keeps what `status` shows of the run in progress (the progress file,
  // issue 18.1) under the root, where Files() sweeps it.
  std::string KeepProgress() const {
    return "cp " + (root_.path() / "run/nodeboot/progress.json").string() + " " +
           (root_.path() / "progress-during-preInstall.json").string() + "\n";
  }

  // Runs a command on the root; adds its stdout and stderr to `outputs_`.
  int Command(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root_.path().string()});
    const auto result = testing::RunNodeboot(args, env_);
    outputs_ += "$ nodeboot " + args[0] + "\n" + result.out + result.err;
    return result.exit_code;
  }

  void ReadEverything() {
    EXPECT_EQ(Command({"status"}), 0);
    EXPECT_EQ(Command({"status", "--output", "json"}), 0);
    Command({"logs"});  // exit 1 when there is nothing to show (no failure, no system log)
    Command({"logs", "--lines", "100000"});
    Command({"report", "--flush"});  // the task service is down: the report stays queued
    EXPECT_EQ(Command({"plan"}), 0);
    EXPECT_EQ(Command({"plan", "--output", "json"}), 0);
    Command({"run", "--dry-run", "--rerun-scripts"});
    // The machine forms of issue 18, and `status --wait` (no run holds the lock: at once).
    Command({"logs", "--output", "json"});
    Command({"report", "--flush", "--output", "json"});
    Command({"status", "--wait"});
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"validate", "--output", "json", "--config", (root_.path() / "etc/nodeboot/config.yaml").string()},
             {"version", "--output", "json"}}) {
      const auto result = testing::RunNodeboot(args);
      outputs_ += result.out + result.err;
    }
    const auto validate =
        testing::RunNodeboot({"validate", "--config", (root_.path() / "etc/nodeboot/config.yaml").string()});
    outputs_ += validate.out + validate.err;
    Collect();
  }

  // `collect`: every member of the support bundle, extracted, joins the outputs swept (the
  // .tar.gz itself is compressed: a canary in it would not show in Files()).
  void Collect() {
    const auto result = testing::RunNodeboot({"collect", "--root", root_.path().string()}, env_);
    outputs_ += "$ nodeboot collect\n" + result.out + result.err;
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string bundle = result.out.substr(0, result.out.find('\n'));
    testing::TempDir extracted;
    const auto tar = testing::RunProcess({"tar", "-xzf", bundle, "-C", extracted.path().string()});
    ASSERT_EQ(tar.exit_code, 0) << tar.err;
    std::set<std::string> members;
    for (const auto& entry : fs::recursive_directory_iterator(extracted.path())) {
      if (!entry.is_regular_file()) continue;
      members.insert(entry.path().filename().string());
      outputs_ += "[bundle member " + entry.path().filename().string() + "]\n" + Slurp(entry.path()) + "\n";
    }
    for (const auto& member : {"MANIFEST", "nodeboot.log", "state.json", "status.json", "logs.json", "config.yaml"}) {
      EXPECT_TRUE(members.count(member)) << member << " not in " << bundle;
    }
  }

  // `clean` last (it removes the config and the scripts): its output is swept, and the files left.
  void CleanAndExpectNoCanary() {
    Command({"clean", "--dry-run"});
    Command({"clean", "--force", "--output", "json"});
    EXPECT_EQ(Command({"clean", "--force"}), 0) << outputs_;  // again: nothing left, exit 0
    EXPECT_FALSE(fs::exists(root_.path() / "etc/nodeboot/config.yaml"));
    ExpectNoCanaryInOutputsOrFiles();
  }

  // Every file under the root but the config and the scripts, with its path.
  std::string Files() const {
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(root_.path())) {
      const auto path = entry.path().string();
      all += path + "\n";
      // The config, the scripts and the join's 0600 files must hold the secrets, to use them.
      if (!entry.is_regular_file() || path.ends_with("etc/nodeboot/config.yaml") ||
          path.find("var/lib/nodeboot/scripts/") != std::string::npos ||
          path.ends_with("etc/kubernetes/nodeboot-join.yaml") ||
          path.ends_with("etc/kubernetes/bootstrap-kubelet.conf")) {
        continue;
      }
      all += Slurp(entry.path()) + "\n";
    }
    return all;
  }

  void ExpectNoCanaryInOutputsOrFiles() {
    const std::string files = Files();
    for (const auto& secret : {kTaskToken, kBootstrapToken, kPreCanary, kPostCanary}) {
      EXPECT_THAT(outputs_, Not(HasSubstr(secret)));
      EXPECT_THAT(files, Not(HasSubstr(secret)));
      for (const auto& needle : Base64Needles(secret)) {
        EXPECT_THAT(outputs_, Not(HasSubstr(needle))) << secret << " in base64";
        EXPECT_THAT(files, Not(HasSubstr(needle))) << secret << " in base64";
      }
    }
  }

  void ExpectNoCanary() {
    ExpectNoCanaryInOutputsOrFiles();
    // The sweep covered the console and the progress file: they were written.
    const std::string files = Files();
    EXPECT_THAT(files, HasSubstr("phase preInstall: start"));
    EXPECT_THAT(files, HasSubstr("\"phase\":\"preInstall\""));
    // The scripts themselves are on disk (they have to be, to run), and only there.
    EXPECT_THAT(Slurp(root_.path() / "var/lib/nodeboot/scripts/preInstall"), HasSubstr(kPreCanary));
  }

  testing::TempDir root_;
  testing::TempDir fake_;  // the fake kubeadm's and systemctl's records
  // The console's milestones (issue 18.2) land in a file under the root, which Files() sweeps.
  std::map<std::string, std::string> env_{{"NODEBOOT_CONSOLE", (root_.path() / "console").string()}};
  std::string outputs_;
};

TEST_F(CanarySweepTest, SucceedingRunLeaksNoSecret) {
  WriteConfig(0);
  EXPECT_EQ(Command({"run"}), 0) << outputs_;
  EXPECT_EQ(Command({"run", "--repair", "--rerun-scripts"}), 0) << outputs_;
  ReadEverything();
  EXPECT_THAT(outputs_, HasSubstr("value: ***"));  // the script's output is logged, masked
  // Files() sweeps every file under the root, the Prometheus textfile too.
  EXPECT_TRUE(fs::exists(root_.path() / "var/lib/node_exporter/textfile_collector/nodeboot.prom"));
  ExpectNoCanary();
  CleanAndExpectNoCanary();
}

TEST_F(CanarySweepTest, FailingRunLeaksNoSecret) {
  WriteConfig(1);
  EXPECT_EQ(Command({"run"}), 10) << outputs_;
  EXPECT_EQ(Command({"run"}), 10) << outputs_;  // a failed script runs again
  ReadEverything();
  EXPECT_THAT(Files(), HasSubstr("value: ***"));  // the failure's output is kept, masked
  ExpectNoCanary();
  CleanAndExpectNoCanary();
}

// Past its log budget (agent/scripts/script_output.h) a script's last lines are held back and
// logged when it ends: that path masks them too.
TEST_F(CanarySweepTest, AScriptPastItsLogBudgetLeaksNoSecret) {
  WriteConfig(1, "head -c 11000000 /dev/zero | tr '\\0' x | fold -w 100; echo\n");
  EXPECT_EQ(Command({"run"}), 10);
  const std::string log = Slurp(root_.path() / "var/log/nodeboot/nodeboot.log");
  EXPECT_THAT(log, HasSubstr(" lines of output were not logged ("));
  EXPECT_THAT(log, HasSubstr("preInstall stdout: value: ***"));  // held back, then logged masked
  ReadEverything();
  ExpectNoCanary();
}

// The join's new outputs: the kubeadm API choice, a kubeadm that prints the token in its error
// (as kubeadm does for an invalid token id), the ConfigMap request with the token as bearer,
// and the unit notes. The fake kubeadm and systemctl of tests/join are on PATH.
TEST_F(CanarySweepTest, FailingJoinsLeakNoSecret) {
  const char* path = std::getenv("PATH");
  env_ = {{"PATH", std::string(NODEBOOT_SOURCE_DIR) + "/tests/join/fake-bin:" + (path ? path : "/usr/bin:/bin")},
          {"NB_FAKE_DIR", fake_.path().string()},
          {"NB_FAKE_ROOT", root_.path().string()},
          {"NODEBOOT_CONSOLE", (root_.path() / "console").string()},
          {"NB_FAKE_KUBEADM_ERROR",
           "couldn't validate the identity of the API Server: token " + kBootstrapToken + " is invalid"}};
  const std::string common =
      "node: {name: worker-1, instanceId: i-0abc}\n"
      "task: {id: t1, url: 'http://127.0.0.1:9/r', token: " +
      kTaskToken + ", deliverySeconds: 0}\n";
  root_.Write("etc/nodeboot/config.yaml",
              common + "cluster: {join: kubeadm, apiServer: 'https://127.0.0.1:9', bootstrapToken: " + kBootstrapToken +
                  ", caCertHash: 'sha256:" + std::string(64, 'a') + "', failCgroupV1: false}\n");
  EXPECT_EQ(Command({"run"}), 30) << outputs_;
  EXPECT_THAT(outputs_, HasSubstr("couldn't validate the identity of the API Server: token ***"));
  ReadEverything();
  ExpectNoCanaryInOutputsOrFiles();

  root_.Write("etc/nodeboot/config.yaml",
              common + "cluster: {join: kubelet, apiServer: 'https://127.0.0.1:9', bootstrapToken: " + kBootstrapToken +
                  ", caFile: /etc/kubernetes/pki/ca.crt}\n");
  EXPECT_EQ(Command({"run"}), 30) << outputs_;
  EXPECT_THAT(outputs_, HasSubstr("ConfigMap kube-system/kubelet-config"));
  ReadEverything();
  ExpectNoCanaryInOutputsOrFiles();
  CleanAndExpectNoCanary();  // the join files that hold the bootstrap token go too
  EXPECT_FALSE(fs::exists(root_.path() / "etc/kubernetes/bootstrap-kubelet.conf"));
}

}  // namespace
}  // namespace nodeboot
