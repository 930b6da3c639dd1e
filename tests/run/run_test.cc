// `nodeboot run` and `nodeboot status` from outside: the built binary, a temp dir as --root,
// real scripts (SPEC §1, §2, §5, §8).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/base/base64.h"
#include "tests/support/phase_record.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunNodeboot;
using testing::Slurp;

class RunTest : public ::testing::Test {
 protected:
  // Writes the config with these scripts (plain text; encoded here) and extra YAML.
  void WriteConfig(const std::string& pre, const std::string& post = "", const std::string& extra = "") {
    std::string config = "node: {name: worker-1, instanceId: " + instance_id_ + "}\n" + extra;
    config += "nodeTemplate:\n  extendParam:\n";
    if (!pre.empty()) config += "    alpha.cce/preInstall: " + EncodeBase64(pre) + "\n";
    if (!post.empty()) config += "    alpha.cce/postInstall: " + EncodeBase64(post) + "\n";
    if (pre.empty() && post.empty()) config += "    maxPods: 110\n";
    root_.Write("etc/nodeboot/config.yaml", config);
  }

  ProcessResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--root", root_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunNodeboot(args);
  }

  nlohmann::json State() { return nlohmann::json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json")); }
  std::string Marker() const { return (root_.path() / "marker").string(); }

  // A script that says it started (the marker) and then holds its phase - and so the run and
  // its lock - until the test lets it go (Go()): handshakes, not sleeps, order the test.
  std::string HeldScript(const std::string& then = "") const {
    return fmt::format("echo started > {}\nwhile [ ! -e {} ]; do sleep 0.02; done\n{}", Marker(), GoFile(), then);
  }
  std::string GoFile() const { return (root_.path() / "go").string(); }
  void Go() const { std::ofstream(GoFile()) << "go\n"; }
  // True once the held script has started (bounded: false after 30 s).
  bool WaitUntilStarted() const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::filesystem::exists(Marker()) && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::filesystem::exists(Marker());
  }

  testing::TempDir root_;
  std::string instance_id_ = "i-0abc";
};

TEST_F(RunTest, PreInstallScriptRunsOnceAndNotOnTheSecondRun) {
  WriteConfig("echo \"pre $NODE_NAME $NODEBOOT_PHASE $NODEBOOT_INSTANCE_ID $(pwd)\" >> " + Marker() + "\n");
  const auto first = Run();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Slurp(Marker()), "pre worker-1 preInstall i-0abc /\n");
  const auto second = Run();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Slurp(Marker()), "pre worker-1 preInstall i-0abc /\n");  // not again
  const auto state = State();
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "preInstall")["status"], "skipped");
  EXPECT_THAT(testing::PhaseIn(state["lastRun"], "preInstall")["reason"].get<std::string>(),
              HasSubstr("already succeeded"));
  EXPECT_EQ(state["phases"]["preInstall"]["status"], "succeeded");
}

TEST_F(RunTest, RerunScriptsRunsItAgain) {
  WriteConfig("echo pre >> " + Marker() + "\n");
  ASSERT_EQ(Run().exit_code, 0);
  ASSERT_EQ(Run({"--rerun-scripts"}).exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "pre\npre\n");
  ASSERT_EQ(Run({"--repair"}).exit_code, 0);  // repair alone does not repeat a script
  EXPECT_EQ(Slurp(Marker()), "pre\npre\n");
}

TEST_F(RunTest, ScriptsAreWrittenPrivateAndRunByShebangOrBash) {
  WriteConfig("#!/bin/sh\necho \"$0\" > " + Marker() + "\n", "echo \"$BASH_VERSION\" > " + Marker() + ".post\n");
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto dir = root_.path() / "var/lib/nodeboot/scripts";
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir / "preInstall").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(Slurp(Marker()), (dir / "preInstall").string() + "\n");  // executed directly
  EXPECT_NE(Slurp(Marker() + ".post"), "\n");                        // bash ran it
}

// A script that prints without end must not fill /var/log: the log keeps 10 MiB of its output
// (agent/scripts/script_output.h), says what it left out, and its last lines; the failure's
// output in state.json is still the script's last lines, and stderr's first line names why.
TEST_F(RunTest, AScriptThatPrintsWithoutEndLogsItsBudgetAndItsLastLines) {
  WriteConfig(
      "yes 'a line of output that goes on and on' | head -c 40000000\n"
      "echo 'the last word' >&2\nexit 4\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 10);
  const auto log_file = root_.path() / "var/log/nodeboot/nodeboot.log";
  EXPECT_LT(std::filesystem::file_size(log_file), 30u * 1024 * 1024) << "40 MB of output, line by line, is ~90 MB";
  const std::string log = Slurp(log_file);
  EXPECT_THAT(log, HasSubstr("preInstall: the script printed more than 10485760 bytes; the rest is not logged"));
  EXPECT_THAT(log, HasSubstr(" lines of output were not logged ("));
  EXPECT_THAT(log, HasSubstr("preInstall stderr: the last word\n"));
  const auto state = State();
  EXPECT_THAT(state["phases"]["preInstall"]["error"]["message"].get<std::string>(), HasSubstr("exited with 4"));
  EXPECT_THAT(state["phases"]["preInstall"]["output"].dump(), HasSubstr("the last word"));
}

// The log holds scripts' output: not world-readable (0640), also when an older nodeboot left
// it 0644; the rest of the mode is kept.
TEST_F(RunTest, TheLogIsNotWorldReadable) {
  WriteConfig("echo hello\n");
  const auto log_file = root_.path() / "var/log/nodeboot/nodeboot.log";
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(std::filesystem::status(log_file).permissions(), std::filesystem::perms(0640));
  std::filesystem::permissions(log_file, std::filesystem::perms(0644));
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(std::filesystem::status(log_file).permissions(), std::filesystem::perms(0640));
  std::filesystem::permissions(log_file, std::filesystem::perms(0600));
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(std::filesystem::status(log_file).permissions(), std::filesystem::perms(0600)) << "a tighter mode stays";
}

// An operator's `nodeboot run 2>&1 | head -3`: the reader goes away mid-run. SIGPIPE used to
// kill the run there (exit 141), its script left running unwaited and the phase recorded as
// interrupted, so the next run would not run it again. Now the run goes on to its end, and a
// script still gets SIGPIPE at its default (`yes | head` ends).
TEST_F(RunTest, AReaderThatGoesAwayDoesNotStopTheRun) {
  WriteConfig("for i in $(seq 1 200); do echo line $i; done\nsleep 0.3\nyes | head -1 > /dev/null\necho done > " +
              Marker() + "\n");
  const std::string command = fmt::format("'{}' run --root '{}' 2>&1 | head -n 3 > /dev/null; exit ${{PIPESTATUS[0]}}",
                                          NODEBOOT_BINARY, root_.path().string());
  const auto piped = testing::RunProcess({"/bin/bash", "-c", command});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(Slurp(Marker()), "done\n");
  EXPECT_EQ(State()["lastRun"]["status"], "succeeded");
  EXPECT_EQ(State()["phases"]["preInstall"]["status"], "succeeded");
  // A dry run's listing into a closed pipe: exit 0, not std::terminate's abort.
  const std::string dry = fmt::format(
      "'{}' run --dry-run --rerun-scripts --root '{}' 2>/dev/null | head -c 1 > /dev/null; exit ${{PIPESTATUS[0]}}",
      NODEBOOT_BINARY, root_.path().string());
  EXPECT_EQ(testing::RunProcess({"/bin/bash", "-c", dry}).exit_code, 0);
}

// exec says only "No such file or directory" for a script whose interpreter is missing; the
// message says which one is missing: the interpreter, not the script nodeboot just wrote.
TEST_F(RunTest, AScriptWhoseInterpreterIsMissingSaysSo) {
  WriteConfig("#!/usr/bin/nodeboot-no-such-interpreter\necho hi\n");
  EXPECT_EQ(Run().exit_code, 10);
  EXPECT_THAT(State()["phases"]["preInstall"]["error"]["message"].get<std::string>(),
              HasSubstr("(the interpreter its #! line names must exist on this node)"));
}

TEST_F(RunTest, FailingScriptGivesExitTenAndItsStderrInState) {
  WriteConfig("echo doing things\necho 'cannot reach the mirror' >&2\nexit 3\n", "echo post >> " + Marker() + "\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 10);
  const auto state = State();
  EXPECT_EQ(state["phases"]["preInstall"]["status"], "failed");
  EXPECT_EQ(state["phases"]["preInstall"]["error"]["code"], "NB-PREINSTALL-FAILED");
  EXPECT_THAT(state["phases"]["preInstall"]["error"]["message"].get<std::string>(),
              HasSubstr("exited with 3: cannot reach the mirror"));
  EXPECT_THAT(state["phases"]["preInstall"]["output"].dump(), HasSubstr("cannot reach the mirror"));
  EXPECT_EQ(state["lastRun"]["exitCode"], 10);
  EXPECT_EQ(state["lastRun"]["phase"], "preInstall");
  EXPECT_EQ(testing::PhaseIn(state["lastRun"], "postInstall")["status"], "not-run");  // postInstall after a failure
  EXPECT_EQ(Slurp(Marker()), "");
  // A failed script runs again on the next plain run.
  WriteConfig("echo again >> " + Marker() + "\n");
  EXPECT_EQ(Run().exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "again\n");
}

TEST_F(RunTest, PostInstallFailureGivesExitForty) {
  WriteConfig("true\n", "exit 1\n");
  EXPECT_EQ(Run().exit_code, 40);
}

// Issue 18.5: the last run for node_exporter's textfile collector, written when the run ends.
TEST_F(RunTest, WritesThePrometheusTextfileForEachRun) {
  const auto file = root_.path() / "var/lib/node_exporter/textfile_collector/nodeboot.prom";
  WriteConfig("echo 'secret-ish output' >&2\nexit 3\n");
  EXPECT_EQ(Run().exit_code, 10);
  std::string text = Slurp(file);
  const std::string run_id = State()["lastRun"]["runId"];
  EXPECT_THAT(text, HasSubstr("nodeboot_run_info{run_id=\"" + run_id +
                              "\",instance_id=\"i-0abc\",node=\"worker-1\",status=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_run_success 0\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_run_exit_code 10\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_phase_status{phase=\"preInstall\",status=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_phase_status{phase=\"postInstall\",status=\"not-run\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_phase_duration_seconds{phase=\"preInstall\"} "));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_report_status{status=\"not-configured\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_run_last_timestamp_seconds "));
  EXPECT_THAT(text, Not(HasSubstr("secret-ish")));
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);

  // The next run replaces it.
  WriteConfig("true\n");
  ASSERT_EQ(Run().exit_code, 0);
  text = Slurp(file);
  EXPECT_THAT(text, HasSubstr("status=\"succeeded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_run_success 1\n"));
  EXPECT_THAT(text, HasSubstr("\nnodeboot_run_exit_code 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("status=\"failed\"")));
}

TEST_F(RunTest, ATextfileThatCannotBeWrittenIsOnlyAWarning) {
  root_.Write("var/lib/node_exporter/textfile_collector", "not a directory\n");
  WriteConfig("true\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("prometheus textfile: "));
  EXPECT_EQ(State()["lastRun"]["status"], "succeeded");
}

bool Alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  // A killed process reparented to an init that does not reap stays a zombie: dead all the same.
  const std::string stat = Slurp(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
}

TEST_F(RunTest, ScriptPastItsTimeoutIsKilledWithItsChildren) {
  const std::string pidfile = (root_.path() / "grandchild.pid").string();
  WriteConfig("sleep 300 &\necho $! > " + pidfile + "\nsleep 300\n", "", "scripts: {preInstallTimeoutSeconds: 2}\n");
  const auto start = std::chrono::steady_clock::now();
  const auto result = Run();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exit_code, 11) << result.err;
  EXPECT_LT(seconds, 30);
  const pid_t grandchild = std::stoi(Slurp(pidfile));
  for (int i = 0; i < 50 && Alive(grandchild); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(Alive(grandchild)) << "background grandchild " << grandchild << " survived";
  EXPECT_EQ(State()["phases"]["preInstall"]["error"]["code"], "NB-PREINSTALL-TIMEOUT");
}

TEST_F(RunTest, SecondConcurrentRunExitsThree) {
  WriteConfig(HeldScript());
  auto first = std::async(std::launch::async, [&] { return Run(); });
  ASSERT_TRUE(WaitUntilStarted());
  const auto second = Run();  // the first one holds the lock until Go()
  Go();
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_THAT(second.err, HasSubstr("another nodeboot run"));
  EXPECT_EQ(first.get().exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "started\n");  // the second run ran nothing
}

// README "Configuration decisions": an explicit --config is a path on this machine; an absolute
// one that does not exist here is looked up under --root too.
TEST_F(RunTest, AnAbsoluteConfigMissingHereIsLookedUpUnderTheRoot) {
  const std::string config = "/etc/nodeboot/run-test-elsewhere.yaml";
  ASSERT_FALSE(std::filesystem::exists(config));
  root_.Write(config.substr(1),
              "node: {name: worker-7, instanceId: i-0abc}\nnodeTemplate:\n  extendParam:\n"
              "    alpha.cce/preInstall: " +
                  EncodeBase64("echo hi >> " + Marker() + "\n") + "\n");
  const auto run = Run({"--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(State()["node"], "worker-7");
  EXPECT_EQ(Slurp(Marker()), "hi\n");
  // Not under the root either: exit 2, naming the path.
  const auto missing = Run({"--config", "/etc/nodeboot/run-test-nowhere.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("run-test-nowhere.yaml"));
}

TEST_F(RunTest, DryRunRunsAndWritesNothing) {
  WriteConfig("echo pre >> " + Marker() + "\n");
  const auto result = Run({"--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("would write " + (root_.path() / "var/lib/nodeboot/scripts/preInstall").string()));
  EXPECT_THAT(result.out,
              HasSubstr("would run: /bin/bash " + (root_.path() / "var/lib/nodeboot/scripts/preInstall").string()));
  // The log says what ran; a command the dry run only printed is not logged as executed.
  EXPECT_THAT(result.err, Not(HasSubstr("exec: ")));
  EXPECT_FALSE(std::filesystem::exists(Marker()));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "var"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "run"));
}

TEST_F(RunTest, InvalidBase64ExitsTwoBeforeAnythingRuns) {
  root_.Write("etc/nodeboot/config.yaml",
              "node: {instanceId: i-1}\nnodeTemplate:\n  extendParam:\n"
              "    alpha.cce/preInstall: " +
                  EncodeBase64("touch " + Marker()) + "\n    alpha.cce/postInstall: 'not base64!'\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("nodeTemplate.extendParam.alpha.cce/postInstall: invalid base64"));
  EXPECT_FALSE(std::filesystem::exists(Marker()));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "var"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "run"));
}

TEST_F(RunTest, OnlyAndSkipSelectPhases) {
  WriteConfig("echo pre >> " + Marker() + "\n", "echo post >> " + Marker() + "\n");
  ASSERT_EQ(Run({"--only", "postInstall"}).exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "post\n");
  EXPECT_EQ(testing::PhaseIn(State()["lastRun"], "preInstall")["reason"], "not selected (--only)");
  ASSERT_EQ(Run({"--skip", "preInstall"}).exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "post\n");
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "post\npre\n");
}

TEST_F(RunTest, NewInstanceIdStartsFresh) {
  WriteConfig("echo pre >> " + Marker() + "\n");
  ASSERT_EQ(Run().exit_code, 0);
  instance_id_ = "i-clone";
  WriteConfig("echo pre >> " + Marker() + "\n");
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(Slurp(Marker()), "pre\npre\n");
  EXPECT_EQ(State()["instanceId"], "i-clone");
}

TEST_F(RunTest, InstanceIdComesFromCloudInitThenMachineId) {
  root_.Write("etc/nodeboot/config.yaml",
              "nodeTemplate: {extendParam: {alpha.cce/preInstall: " + EncodeBase64("true") + "}}\n");
  EXPECT_EQ(Run().exit_code, 2);  // no instance id anywhere
  root_.Write("etc/machine-id", "0123456789abcdef\n");
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(State()["instanceId"], "0123456789abcdef");
  root_.Write("var/lib/cloud/data/instance-id", "i-from-cloud-init\n");
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(State()["instanceId"], "i-from-cloud-init");
}

TEST_F(RunTest, StorageWithNoUsableDiskExitsTwentyAndSaysWhy) {
  // A root with no disks at all: lvm is read for real (read-only), nothing is written.
  root_.Write("sys/block/.keep", "");
  root_.Write("etc/nodeboot/config.yaml",
              "node: {instanceId: i-1}\nnodeTemplate:\n  extendParam:\n"
              "    DockerLVMConfigOverride: 'dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG'\n");
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 20) << result.err;
  EXPECT_THAT(result.err, HasSubstr("group vgpaas: no usable disk matches its selectors (legacyOverride)"));
  EXPECT_EQ(State()["phases"]["storage"]["error"]["code"], "NB-STORAGE-UNSATISFIABLE");
  const auto plan = RunNodeboot({"plan", "--root", root_.path().string()});
  EXPECT_EQ(plan.exit_code, 20);
}

TEST_F(RunTest, StatusShowsTheLastRun) {
  EXPECT_EQ(RunNodeboot({"status", "--root", root_.path().string()}).exit_code, 1);  // never ran
  WriteConfig("echo hi\n", "exit 2\n");
  ASSERT_EQ(Run().exit_code, 40);
  const auto text = RunNodeboot({"status", "--root", root_.path().string()});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("preInstall   succeeded"));
  EXPECT_THAT(text.out, HasSubstr("postInstall  failed"));
  EXPECT_THAT(text.out, HasSubstr("result failed  exit code 40"));
  EXPECT_THAT(text.out, HasSubstr("report not-configured"));
  const auto json = RunNodeboot({"status", "--root", root_.path().string(), "--output", "json"});
  EXPECT_EQ(json.exit_code, 0);
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["lastRun"]["exitCode"], 40);
  EXPECT_EQ(parsed["lastRun"]["phases"].size(), 5u);  // preInstall, storage, gpu, join, postInstall
  EXPECT_GE(testing::PhaseIn(parsed["lastRun"], "preInstall")["durationMs"].get<int>(), 0);
}

// `status --wait` (SPEC §1): blocks while a run is in progress, then prints the status and
// exits with the run's exit code, as `cloud-init status --wait` does.
TEST_F(RunTest, StatusWaitBlocksUntilTheRunEndsAndExitsWithItsCode) {
  WriteConfig(HeldScript("exit 3\n"));
  auto run = std::async(std::launch::async, [this] { return Run(); });
  ASSERT_TRUE(WaitUntilStarted());
  auto waiting = std::async(std::launch::async, [this] {
    return RunNodeboot({"status", "--root", root_.path().string(), "--wait"});
  });
  // It waits while the run is held (it polls once a second: give it more than one poll)...
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(1500)), std::future_status::timeout);
  Go();
  // ... and answers once the run is over, with the run's code.
  const auto waited = waiting.get();
  EXPECT_EQ(run.get().exit_code, 10);
  EXPECT_EQ(waited.exit_code, 10) << waited.out << waited.err;
  EXPECT_THAT(waited.out, HasSubstr("result failed  exit code 10"));
  const auto json = RunNodeboot({"status", "--root", root_.path().string(), "--wait", "--output", "json"});
  EXPECT_EQ(json.exit_code, 10);
  EXPECT_EQ(nlohmann::json::parse(json.out)["lastRun"]["exitCode"], 10);
  // Without --wait the command itself succeeded.
  EXPECT_EQ(RunNodeboot({"status", "--root", root_.path().string()}).exit_code, 0);
}

// `status` during a run (SPEC §1: "the one in progress: its current phase and step").
TEST_F(RunTest, StatusShowsThePhaseAndTheStepOfARunInProgress) {
  WriteConfig(HeldScript());
  auto run = std::async(std::launch::async, [this] { return Run(); });
  ASSERT_TRUE(WaitUntilStarted()) << "the script did not start";
  const auto text = RunNodeboot({"status", "--root", root_.path().string()});
  const auto json = RunNodeboot({"status", "--root", root_.path().string(), "--output", "json"});
  Go();
  ASSERT_EQ(run.get().exit_code, 0);

  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("preInstall   running"));
  EXPECT_THAT(text.out, HasSubstr("in progress: phase preInstall since 20"));
  EXPECT_THAT(text.out, HasSubstr("  step /bin/bash " +
                                  (root_.path() / "var/lib/nodeboot/scripts/preInstall").string() + " since 20"));
  const auto progress = nlohmann::json::parse(json.out)["inProgress"];
  EXPECT_EQ(progress["phase"], "preInstall");
  EXPECT_EQ(progress["runId"], nlohmann::json::parse(json.out)["lastRun"]["runId"]);
  EXPECT_THAT(progress["step"].get<std::string>(), HasSubstr("scripts/preInstall"));
  // Over: no progress, and no file left behind.
  const auto after = RunNodeboot({"status", "--root", root_.path().string(), "--output", "json"});
  EXPECT_TRUE(nlohmann::json::parse(after.out)["inProgress"].is_null());
  EXPECT_THAT(RunNodeboot({"status", "--root", root_.path().string()}).out, Not(HasSubstr("in progress")));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "run/nodeboot/progress.json"));
}

// A run killed mid-phase leaves its progress file; the next `status` must not present that
// dead run as one in progress.
TEST_F(RunTest, StatusIgnoresTheProgressOfADeadRun) {
  WriteConfig("echo hi\n");
  ASSERT_EQ(Run().exit_code, 0);
  const std::string run_id = State()["lastRun"]["runId"];
  root_.Write("run/nodeboot/progress.json", "{\"runId\":\"" + run_id +
                                                "\",\"phase\":\"storage\",\"phaseSince\":\"x\",\"step\":\"lvcreate\","
                                                "\"stepSince\":\"y\"}");
  const auto text = RunNodeboot({"status", "--root", root_.path().string()});
  EXPECT_THAT(text.out, Not(HasSubstr("in progress")));
  EXPECT_THAT(text.out, Not(HasSubstr("lvcreate")));
}

// The console (README "Logs"): the milestones of a run - its start, each phase's start and end,
// a failure with its code, the result - and nothing of what the scripts print.
TEST_F(RunTest, ConsoleGetsTheMilestonesAndNotTheScriptOutput) {
  const auto console = root_.path() / "console";
  WriteConfig("echo chatty script line\n", "echo failing post >&2\nexit 4\n");
  const auto run = RunNodeboot({"run", "--root", root_.path().string()}, {{"NODEBOOT_CONSOLE", console.string()}});
  ASSERT_EQ(run.exit_code, 40) << run.err;
  const std::string text = Slurp(console);
  EXPECT_THAT(text, HasSubstr("]: run "));
  EXPECT_THAT(text, HasSubstr("]: phase preInstall: start\n"));
  EXPECT_THAT(text, HasSubstr("]: phase preInstall: succeeded in "));
  EXPECT_THAT(text, HasSubstr("]: phase storage: skipped: "));
  EXPECT_THAT(text, HasSubstr("]: phase postInstall: failed after "));
  EXPECT_THAT(text, HasSubstr("with exit code 40 in "));
  EXPECT_THAT(text, HasSubstr("(phase postInstall: NB-POSTINSTALL-FAILED)"));
  EXPECT_THAT(text, Not(HasSubstr("chatty script line")));
  EXPECT_THAT(text, Not(HasSubstr("stdout:")));
  // Every line is one whole `nodeboot[PID]: ...` line; fewer than 20 for a whole run.
  size_t lines = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line); ++lines) EXPECT_THAT(line, ::testing::StartsWith("nodeboot["));
  EXPECT_LT(lines, 20u) << text;
  // Without $NODEBOOT_CONSOLE (a run by hand) there is no console output at all.
  std::filesystem::remove(console);
  ASSERT_EQ(Run({"--rerun-scripts"}).exit_code, 40);
  EXPECT_FALSE(std::filesystem::exists(console));
}

TEST_F(RunTest, AnInvalidConfigReachesTheConsole) {
  const auto console = root_.path() / "console";
  root_.Write("etc/nodeboot/config.yaml", "node: {name: Bad_Name}\n");
  const auto run = RunNodeboot({"run", "--root", root_.path().string()}, {{"NODEBOOT_CONSOLE", console.string()}});
  ASSERT_EQ(run.exit_code, 2);
  EXPECT_THAT(Slurp(console), HasSubstr("]: config: node.name: "));
}

TEST_F(RunTest, LogsPhasesAndCommandsToTheLogFile) {
  WriteConfig("echo hello from the script\n");
  ASSERT_EQ(Run().exit_code, 0);
  const std::string log = Slurp(root_.path() / "var/log/nodeboot/nodeboot.log");
  EXPECT_THAT(log, HasSubstr("phase preInstall: start"));
  EXPECT_THAT(log, HasSubstr("phase preInstall: succeeded in"));
  EXPECT_THAT(log, HasSubstr("preInstall stdout: hello from the script"));
  EXPECT_THAT(log, HasSubstr("exec: /bin/bash " + (root_.path() / "var/lib/nodeboot/scripts/preInstall").string() +
                             ": exit 0 in"));
}

// Every file under the root except the config itself and the script files (which must hold the
// script to run it), concatenated.
std::string EverythingUnder(const std::filesystem::path& root) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const auto path = entry.path().string();
    if (path.ends_with("etc/nodeboot/config.yaml") || path.find("var/lib/nodeboot/scripts/") != std::string::npos)
      continue;
    all += path + "\n" + Slurp(entry.path()) + "\n";
  }
  return all;
}

TEST_F(RunTest, CanarySecretsAppearInNoFileAndNoOutput) {
  const std::string task_token = "canary-task-token-5d1e";
  const std::string bootstrap = "canary.c4n4ryt0k3n00042";
  const std::string script_body = "SCRIPT_CANARY=canary-script-body-77f0";
  WriteConfig(
      script_body + "\necho \"token: " + task_token + " and " + bootstrap + "\"\necho \"$SCRIPT_CANARY\" >&2\nexit 4\n",
      "",
      "task: {id: t1, url: 'http://127.0.0.1:9/r', token: " + task_token +
          ", deliverySeconds: 0}\n"
          "cluster: {join: none, bootstrapToken: " +
          bootstrap + "}\n");
  std::string outputs;
  for (auto args : std::vector<std::vector<std::string>>{{}, {"--dry-run"}, {"--rerun-scripts"}}) {
    const auto result = Run(args);
    outputs += result.out + result.err;
  }
  const auto status = RunNodeboot({"status", "--root", root_.path().string(), "--output", "json"});
  outputs += status.out + status.err;
  outputs += EverythingUnder(root_.path());
  EXPECT_THAT(outputs, HasSubstr("token: ***"));  // the script's output is there, masked
  for (const auto& canary : {task_token, bootstrap, std::string("canary-script-body-77f0")}) {
    EXPECT_THAT(outputs, Not(HasSubstr(canary)));
  }
}

}  // namespace
}  // namespace nodeboot
