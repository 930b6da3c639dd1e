// Issue 15, "Runs and state": a run that is killed, stopped or rebooted, hostile or odd input to
// the state and the root, from outside - the built binary with a --root temp dir, real scripts,
// nodeboot started in the background where a test signals it.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "agent/base/base64.h"
#include "tests/support/phase_record.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunNodeboot;
using testing::Slurp;

bool Alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  const std::string stat = Slurp(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// nodeboot running in the background, its output in files, so that a test can signal it.
class Background {
 public:
  Background(const std::vector<std::string>& args, const fs::path& dir) : out_(dir / "bg.out"), err_(dir / "bg.err") {
    std::vector<std::string> argv{NODEBOOT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = testing::StartProcess(argv, {}, out_, err_);
  }
  ~Background() {
    if (pid_ > 0 && !exit_) {
      ::kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(5));
    }
  }
  pid_t pid() const { return pid_; }
  // The exit code (128 + signal when a signal ended it), or nullopt if it still runs after `limit`.
  std::optional<int> Wait(std::chrono::milliseconds limit) {
    WaitFor(
        [this] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          }
          return exit_.has_value();
        },
        limit);
    return exit_;
  }
  std::string err() const { return Slurp(err_); }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  std::optional<int> exit_;
};

class CrashSafetyTest : public ::testing::Test {
 protected:
  ~CrashSafetyTest() override {
    // A script group a test left behind on purpose (nodeboot SIGKILLed) goes with the test.
    if (auto pid = Slurp(Path("script.pid")); !pid.empty()) ::kill(-std::stoi(pid), SIGKILL);
  }
  void WriteConfig(const std::string& pre, const std::string& post = "", const std::string& extra = "",
                   const std::string& node = "node: {name: worker-1, instanceId: i-0abc}\n") {
    std::string config = node + extra + "nodeTemplate:\n  extendParam:\n";
    if (!pre.empty()) config += "    alpha.cce/preInstall: " + EncodeBase64(pre) + "\n";
    if (!post.empty()) config += "    alpha.cce/postInstall: " + EncodeBase64(post) + "\n";
    root_.Write("etc/nodeboot/config.yaml", config);
  }
  std::vector<std::string> RunArgs(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--root", root_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  ProcessResult Run(std::vector<std::string> extra = {}) { return RunNodeboot(RunArgs(std::move(extra))); }
  ProcessResult Status(bool json = false) {
    std::vector<std::string> args{"status", "--root", root_.path().string()};
    if (json) args.insert(args.end(), {"--output", "json"});
    return RunNodeboot(args);
  }
  nlohmann::json State() { return nlohmann::json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json")); }
  std::string Path(const std::string& name) const { return (root_.path() / name).string(); }

  testing::TempDir root_;
  testing::TempDir scratch_;
};

// 15.1 + 15.2: a postInstall that ends in a reboot (or nodeboot SIGKILLed in it) left no record;
// the next run re-ran the succeeded preInstall, and the rebooting postInstall looped forever.
TEST_F(CrashSafetyTest, AKilledRunIsSeenAsInterruptedAndNoScriptRunsAgainByItself) {
  WriteConfig("echo pre >> " + Path("marker") + "\n",
              "echo $$ > " + Path("script.pid") + "\necho post >> " + Path("marker") + "\nsleep 300\n");
  Background run(RunArgs(), scratch_.path());
  ASSERT_TRUE(WaitFor([&] { return Slurp(Path("marker")) == "pre\npost\n"; })) << run.err();
  ::kill(run.pid(), SIGKILL);
  ASSERT_EQ(run.Wait(std::chrono::seconds(5)), 128 + SIGKILL);

  // The state on disk says where it was, and `status` calls it interrupted.
  EXPECT_EQ(State()["phases"]["preInstall"]["status"], "succeeded");
  EXPECT_EQ(State()["phases"]["postInstall"]["status"], "running");
  const auto status = Status();
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("postInstall  interrupted"));
  EXPECT_THAT(status.out, HasSubstr("result interrupted"));
  // The orphaned script still runs: not even --rerun-scripts starts a second copy beside it.
  const auto beside = Run({"--rerun-scripts", "--only", "postInstall"});
  EXPECT_EQ(beside.exit_code, 40) << beside.err;
  EXPECT_THAT(beside.err, HasSubstr("still runs (process group"));
  EXPECT_EQ(Slurp(Path("marker")), "pre\npost\n");
  ::kill(-std::stoi(Slurp(Path("script.pid"))), SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !Alive(std::stoi(Slurp(Path("script.pid")))); }));

  // The next plain runs: preInstall is done, postInstall is reported, neither runs again.
  for (int i = 0; i < 2; ++i) {
    const auto next = Run();
    EXPECT_EQ(next.exit_code, 40) << next.err;
    EXPECT_THAT(next.err, HasSubstr("--rerun-scripts"));
  }
  EXPECT_EQ(Slurp(Path("marker")), "pre\npost\n");
  const auto state = State();
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "preInstall")["status"], "skipped");
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "postInstall")["status"], "failed");
  EXPECT_EQ(state["lastRun"]["error"]["code"], "NB-POSTINSTALL-INTERRUPTED");
  EXPECT_EQ(state["phases"]["postInstall"]["status"], "interrupted");
  EXPECT_EQ(state["lastRun"]["exitCode"], 40);
}

// 15.3: SIGTERM to nodeboot orphaned the script's process group and released the lock.
TEST_F(CrashSafetyTest, SigtermIsPassedToTheScriptGroupWhichIsWaitedForThenTheRunIsRecordedAndReported) {
  WriteConfig("echo $$ > " + Path("script.pid") + "\nsleep 300 &\necho $! > " + Path("grandchild.pid") + "\ntouch " +
                  Path("started") + "\nwait\n",
              "touch " + Path("post-ran") + "\n",
              // Nothing listens there: a delivery would retry for 300 s. A stopping run must not.
              "task: {id: t1, url: 'http://127.0.0.1:9/r', token: tok-123456789, deliverySeconds: 300}\n");
  Background run(RunArgs(), scratch_.path());
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Path("started")); })) << run.err();
  const auto start = std::chrono::steady_clock::now();
  ::kill(run.pid(), SIGTERM);
  const auto exit = run.Wait(std::chrono::seconds(20));
  ASSERT_TRUE(exit.has_value()) << "nodeboot did not exit after SIGTERM: " << run.err();
  EXPECT_EQ(*exit, 128 + SIGTERM) << run.err();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12));
  // The whole group is gone before nodeboot is.
  EXPECT_FALSE(Alive(std::stoi(Slurp(Path("grandchild.pid")))));
  EXPECT_FALSE(Alive(std::stoi(Slurp(Path("script.pid")))));
  EXPECT_FALSE(fs::exists(Path("post-ran")));

  const auto state = State();
  EXPECT_EQ(state["phases"]["preInstall"]["status"], "interrupted");
  EXPECT_EQ(state["lastRun"]["status"], "interrupted");
  EXPECT_EQ(state["lastRun"]["stoppedBy"], SIGTERM);
  EXPECT_EQ(state["lastRun"]["exitCode"], 128 + SIGTERM);
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "postInstall")["status"], "not-run");
  EXPECT_EQ(state["lastRun"]["report"]["status"], "pending");
  // The report waits in the outbox, saying what happened.
  int reports = 0;
  for (const auto& entry : fs::directory_iterator(root_.path() / "var/lib/nodeboot/outbox")) {
    const auto body = nlohmann::json::parse(Slurp(entry.path()));
    EXPECT_EQ(body["status"], "failed");
    EXPECT_EQ(body["phase"], "preInstall");
    EXPECT_EQ(body["error"]["code"], "NB-PREINSTALL-INTERRUPTED");
    ++reports;
  }
  EXPECT_EQ(reports, 1);
  EXPECT_THAT(run.err(), HasSubstr("SIGTERM"));
}

// 15.2: the supported way for a script to ask for a reboot.
TEST_F(CrashSafetyTest, AScriptAsksForARebootAndTheNextRunGoesOnWithTheNextPhase) {
  WriteConfig("echo pre >> " + Path("marker") + "\ntouch \"$NODEBOOT_REBOOT_REQUEST\"\n",
              "echo post >> " + Path("marker") + "\n");
  const auto first = Run();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("not rebooting this machine"));  // --root is not this host
  EXPECT_EQ(Slurp(Path("marker")), "pre\n");
  auto state = State();
  EXPECT_EQ(state["lastRun"]["status"], "rebooting");
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "preInstall")["rebootRequested"], true);
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "postInstall")["status"], "not-run");
  const auto second = Run();  // "the next boot"
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Slurp(Path("marker")), "pre\npost\n");
  EXPECT_EQ(State()["lastRun"]["status"], "succeeded");
}

// 15.4: invalid UTF-8 in a failing step's output made the state write throw (exit 1, no state).
TEST_F(CrashSafetyTest, InvalidUtf8InAFailingScriptsOutputIsRepairedNotFatal) {
  WriteConfig("printf 'caf\\xe9\\n' >&2\nexit 1\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 10) << result.err;
  const std::string text = Slurp(root_.path() / "var/lib/nodeboot/state.json");
  EXPECT_THAT(text, HasSubstr("caf\xef\xbf\xbd"));  // U+FFFD
  EXPECT_EQ(State()["phases"]["preInstall"]["status"], "failed");
  EXPECT_EQ(Status().exit_code, 0);
}

// 15.5: a state file that parses but is not nodeboot's was taken as "nothing ran".
TEST_F(CrashSafetyTest, AStateFileWithoutWhatItMustHoldStopsTheRunAndSaysWhatMovingItAwayDoes) {
  WriteConfig("echo pre >> " + Path("marker") + "\n");
  for (
      const std::string bad :
      {R"({"instanceId":"i-0abc","phases":[]})",
       R"({"version":1,"instanceId":"i-0abc","node":"w","phases":{"preInstall":{"name":"preInstall","status":"done"}}})",
       R"([1,2])"}) {
    root_.Write("var/lib/nodeboot/state.json", bad);
    const auto result = Run();
    EXPECT_EQ(result.exit_code, 1) << bad;
    EXPECT_THAT(result.err, HasSubstr("is not a state file nodeboot wrote")) << bad;
    EXPECT_THAT(result.err, HasSubstr("moving the file away")) << bad;
    EXPECT_THAT(result.err, HasSubstr("run the install scripts again")) << bad;
    EXPECT_EQ(Status().exit_code, 1) << bad;
  }
  EXPECT_FALSE(fs::exists(Path("marker")));
}

// 15.6: a relative --root broke the script's path (it runs from /).
TEST_F(CrashSafetyTest, ARelativeRootIsMadeAbsolute) {
  WriteConfig("echo pre > " + Path("marker") + "\n");
  // From the root's parent, as `nodeboot run --root s8` from a shell; the script runs from `/`.
  const std::string name = root_.path().filename().string();
  const auto run = testing::RunProcess(
      {"sh", "-c",
       fmt::format("cd {} && exec {} run --root {}", root_.path().parent_path().string(), NODEBOOT_BINARY, name)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Slurp(Path("marker")), "pre\n");
  const auto status = testing::RunProcess(
      {"sh", "-c",
       fmt::format("cd {} && exec {} status --root {}", root_.path().parent_path().string(), NODEBOOT_BINARY, name)});
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

// 15.12: a host name that is no node name was refused only by the join, after scripts and storage.
TEST_F(CrashSafetyTest, AHostNameThatIsNoNodeNameIsRefusedBeforeAnythingRuns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a UTS namespace";
  WriteConfig("touch " + Path("marker") + "\n", "", "", "node: {instanceId: i-0abc}\n");
  const auto result =
      testing::RunProcess({"unshare", "--uts", "sh", "-c",
                           fmt::format("echo 'bad_host' > /proc/sys/kernel/hostname && exec {} run --root {}",
                                       NODEBOOT_BINARY, root_.path().string())});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("node.name"));
  EXPECT_THAT(result.err, HasSubstr("bad_host"));
  EXPECT_FALSE(fs::exists(Path("marker")));
}

// 15.7: a symlink at the lock had its target truncated; another user's lock file was reused.
TEST_F(CrashSafetyTest, ALockFileThatIsALinkOrNotOursIsRefused) {
  WriteConfig("touch " + Path("marker") + "\n");
  root_.Write("victim", "precious\n");
  fs::create_directories(root_.path() / "run");
  fs::create_symlink(root_.path() / "victim", root_.path() / "run/nodeboot.lock");
  auto result = Run();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("symbolic link"));
  EXPECT_EQ(Slurp(Path("victim")), "precious\n");
  EXPECT_FALSE(fs::exists(Path("marker")));

  fs::remove(root_.path() / "run/nodeboot.lock");
  root_.Write("run/nodeboot.lock", "");
  ASSERT_EQ(::chown((root_.path() / "run/nodeboot.lock").c_str(), 65534, 65534), 0);
  result = Run();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("not a regular file owned by"));
  EXPECT_FALSE(fs::exists(Path("marker")));
}

// 15.13: a config holding tokens that other users can read.
TEST_F(CrashSafetyTest, AConfigReadableByOtherUsersIsWarnedAboutInTheLogAndInStatus) {
  WriteConfig("true\n", "", "cluster: {join: none, bootstrapToken: abcdef.0123456789abcdef}\n");
  ::chmod(Path("etc/nodeboot/config.yaml").c_str(), 0644);
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("readable by users other than root"));
  EXPECT_THAT(Status().out, HasSubstr("warning: the config"));
  ::chmod(Path("etc/nodeboot/config.yaml").c_str(), 0600);
  EXPECT_EQ(Run().exit_code, 0);
  EXPECT_THAT(Status().out, Not(HasSubstr("warning:")));
  // The same for a token file.
  root_.Write("etc/nodeboot/token", "tok-123456789\n");
  ::chmod(Path("etc/nodeboot/token").c_str(), 0640);
  WriteConfig("true\n", "",
              "task: {id: t1, url: 'http://127.0.0.1:9/r', tokenFile: /etc/nodeboot/token, deliverySeconds: 0}\n");
  ::chmod(Path("etc/nodeboot/config.yaml").c_str(), 0600);
  EXPECT_EQ(Run().exit_code, 0);
  EXPECT_THAT(Status().out, HasSubstr("warning: task.tokenFile " + Path("etc/nodeboot/token")));
  EXPECT_THAT(Status().out, Not(HasSubstr("warning: the config")));
}

}  // namespace
}  // namespace nodeboot
