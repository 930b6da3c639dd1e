// `nodeboot run` under a Type=notify unit, from outside: the built binary with a --root temp
// dir and $NOTIFY_SOCKET naming a socket the test reads as systemd would (notify_socket.h).
// Scripts and the fake kubeadm/systemctl (tests/run/fake-bin) send their own datagrams to the
// same socket, so the one ordered stream of messages shows when READY=1 came relative to the
// phases: after every phase that lays out the node's data, before anything that needs the
// kubelet or containerd, and at the latest before a run that succeeds exits.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "agent/base/base64.h"
#include "tests/run/notify_socket.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using ::testing::HasSubstr;
using testing::NotifyMessage;

constexpr const char* kCluster =
    "cluster:\n  join: kubeadm\n  apiServer: https://127.0.0.1:6443\n  bootstrapToken: "
    "nbtest.k7q2m9x4p1z8w3v6\n"
    "  caCertHash: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "  readyTimeoutSeconds: 4\n";

class NotifyTest : public ::testing::Test {
 protected:
  // The config: node, `extra` (a cluster), and the node template's `template_lines`.
  void WriteConfig(const std::string& extra, const std::string& template_lines) {
    root_.Write("etc/nodeboot/config.yaml",
                "node: {name: worker-1, instanceId: i-0abc}\n" + extra + "nodeTemplate:\n" + template_lines);
  }
  static std::string Script(const std::string& name, const std::string& body) {
    return fmt::format("    alpha.cce/{}: {}\n", name, EncodeBase64(body));
  }

  // Runs nodeboot to its end; the messages are then all in (the barrier and the exit).
  int Run() {
    const char* path = std::getenv("PATH");
    const std::map<std::string, std::string> env{
        {"NOTIFY_SOCKET", socket_.path().string()},
        {"PATH", std::string(NODEBOOT_SOURCE_DIR) + "/tests/run/fake-bin:" + (path ? path : "/usr/bin:/bin")}};
    pid_ = testing::StartProcess({NODEBOOT_BINARY, "run", "--root", root_.path().string()}, env, output_.path() / "out",
                                 output_.path() / "err");
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
    }
    err_ = testing::Slurp(output_.path() / "err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The index of the first message containing `text`, or -1.
  int Find(const std::string& text) const {
    for (size_t i = 0; i < messages_.size(); ++i) {
      if (messages_[i].text.find(text) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
  }
  int Count(const std::string& text) const {
    int n = 0;
    for (const auto& message : messages_) n += message.text.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  // The last message other than a barrier.
  std::string LastWord() const {
    for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
      if (it->text != "BARRIER=1") return it->text;
    }
    return "";
  }
  std::string Dump() const {
    std::string all;
    for (const auto& message : messages_) all += fmt::format("  [{}] {}\n", message.pid, message.text);
    return "messages:\n" + all + "stderr:\n" + err_;
  }

  testing::TempDir root_;
  testing::TempDir output_;
  testing::NotifySocket socket_{output_.path() / "notify"};
  std::vector<NotifyMessage> messages_;
  pid_t pid_ = 0;
  std::string err_;
};

TEST_F(NotifyTest, ReadyComesAfterTheDataPhasesAndBeforeTheJoinStartsAnything) {
  WriteConfig(kCluster, "  extendParam:\n" + Script("preInstall", "nb-test-notify TEST=preInstall\n"));
  EXPECT_EQ(Run(), 30);  // the fake kubeadm fails the join: that ends the run, and the test
  messages_ = socket_.Messages();
  const int ready = Find("READY=1");
  ASSERT_GE(ready, 0) << Dump();
  EXPECT_EQ(Count("READY=1"), 1) << Dump();
  EXPECT_EQ(messages_[ready].pid, pid_) << "NotifyAccess=main accepts only the main PID\n" << Dump();
  EXPECT_THAT(messages_[ready].text, HasSubstr("STATUS=the node's data directories are in place; phase join next"));
  // After the phases that lay out the data (the pre-install script; storage has no spec here).
  EXPECT_LT(Find("STATUS=phase preInstall"), ready) << Dump();
  EXPECT_LT(Find("TEST=preInstall"), ready) << Dump();
  EXPECT_NE(messages_[Find("TEST=preInstall")].pid, pid_);  // a child: systemd would ignore it
  // Before the join and anything it runs.
  const int kubeadm = Find("TEST=kubeadm join");
  ASSERT_GE(kubeadm, 0) << Dump();
  EXPECT_LT(ready, Find("STATUS=phase join")) << Dump();
  EXPECT_LT(Find("STATUS=phase join"), kubeadm) << Dump();
  const int systemctl = Find("TEST=systemctl");
  if (systemctl >= 0) {
    EXPECT_LT(ready, systemctl) << Dump();
  }
  // The run failed: the last word is a status naming the failure, the exit code fails the unit.
  EXPECT_THAT(LastWord(), HasSubstr("failed with exit code 30: phase join (NB-JOIN-FAILED)")) << Dump();
}

TEST_F(NotifyTest, ARunThatSucceedsIsReadyBeforeItExits) {
  // No cluster: the join is skipped; READY must still come, or systemd fails the unit
  // (result 'protocol') for exiting 0 without it.
  WriteConfig("", "  extendParam:\n" + Script("preInstall", "nb-test-notify TEST=preInstall\n") +
                      Script("postInstall", "nb-test-notify TEST=postInstall\n"));
  ASSERT_EQ(Run(), 0) << err_;
  messages_ = socket_.Messages();
  const int ready = Find("READY=1");
  ASSERT_GE(ready, 0) << Dump();
  EXPECT_EQ(Count("READY=1"), 1) << Dump();
  EXPECT_EQ(messages_[ready].pid, pid_);
  EXPECT_LT(Find("TEST=preInstall"), ready) << Dump();
  EXPECT_GE(Find("BARRIER=1"), ready) << Dump();  // confirmed read before the exit
  EXPECT_THAT(LastWord(), HasSubstr("STATUS=bootstrapped (run ")) << Dump();
  EXPECT_THAT(err_, HasSubstr("systemd: READY=1 sent"));
}

TEST_F(NotifyTest, NoReadyWhenStorageFails) {
  // A root with no disks: the storage phase reads lvm (read-only) and fails (exit 20).
  root_.Write("sys/block/.keep", "");
  WriteConfig(kCluster,
              "  extendParam:\n    DockerLVMConfigOverride: "
              "'dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG'\n");
  EXPECT_EQ(Run(), 20) << err_;
  messages_ = socket_.Messages();
  EXPECT_GE(Find("STATUS=phase storage"), 0) << Dump();
  EXPECT_EQ(Find("READY=1"), -1) << "the kubelet and containerd must not start on a half-made layout\n" << Dump();
  EXPECT_EQ(Find("TEST=kubeadm"), -1) << Dump();
  EXPECT_THAT(LastWord(), HasSubstr("failed with exit code 20: phase storage (NB-STORAGE-")) << Dump();
}

}  // namespace
}  // namespace nodeboot
