// The lvm facade (storage/lvm.h) on a scripted runner: the exact argv of every lvm command,
// the udev-less --config when /run/udev/control is absent, the timeouts, `--devices` only for
// an lvm that has it (>= 2.03.12, asked once with `lvm version`), and how a failed command
// becomes exit 22 naming the command, its object and the first line of its stderr.
#include "storage/lvm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/error_matchers.h"
#include "tests/support/fake_command_runner.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

using nodeboot::testing::FailsWith;
using nodeboot::testing::FakeCommandRunner;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kNoUdev = "activation{udev_sync=0 udev_rules=0} devices{obtain_device_list_from_udev=0}";
constexpr const char* kEmptyReport = R"({"report":[]})";

std::string Version(const std::string& release) {
  return "  LVM version:     " + release + "\n  Library version: 1.02.185 (2022-05-18)\n  Driver version:  4.47.0\n";
}

// A vgcreate as the planner writes it (plan.cc's Commands), without the leading "lvm".
std::vector<std::string> VgCreate() {
  return {"vgcreate", "--addtag", "nodeboot",  "--physicalextentsize", "4m", "vgpaas",
          "/dev/vdb", "/dev/vdc", "--devices", "/dev/vdb,/dev/vdc"};
}

TEST(LvmFullreport, OneReadOnlyFullreportWithTheUdevlessConfigWhenNoUdevRuns) {
  FakeCommandRunner runner;
  runner.On({"lvm", "fullreport"}, FakeCommandRunner::Output(kEmptyReport));
  Lvm lvm(runner, /*udev_running=*/false);
  const auto state = lvm.Report();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_TRUE(state->vgs.empty());
  ASSERT_EQ(runner.commands.size(), 1u);
  const Command& command = runner.commands[0];
  EXPECT_THAT(command.argv, ElementsAre("lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix",
                                        "--config", kNoUdev));
  EXPECT_EQ(command.timeout, seconds(120));
  EXPECT_FALSE(command.changes_system);  // it also runs under --dry-run
  EXPECT_EQ(command.capture_bytes, size_t{64} << 20);
}

TEST(LvmFullreport, WithUdevRunningNoConfigIsPassed) {
  FakeCommandRunner runner;
  runner.On({"lvm", "fullreport"}, FakeCommandRunner::Output(kEmptyReport));
  Lvm lvm(runner, /*udev_running=*/true);
  ASSERT_TRUE(lvm.Report());
  ASSERT_EQ(runner.commands.size(), 1u);
  EXPECT_THAT(runner.commands[0].argv,
              ElementsAre("lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix"));
}

TEST(LvmFullreport, AFailedReadIsExit22NamingItAndTheFirstErrorLine) {
  FakeCommandRunner runner;
  runner.On({"lvm", "fullreport"},
            FakeCommandRunner::Exit(5, "\n  Couldn't find device with uuid Xy3.\n  Another line\n", "{partial"));
  Lvm lvm(runner, false);
  const auto state = lvm.Report();
  EXPECT_THAT(
      state, FailsWith("NB-STORAGE-COMMAND-FAILED", 22, "lvm fullreport: exit 5: Couldn't find device with uuid Xy3."));
}

TEST(LvmFullreport, ATimeoutAMissingLvmAndUnreadableJsonAreExit22) {
  FakeCommandRunner runner;
  runner.On({"lvm"}, FakeCommandRunner::TimedOut());
  auto state = Lvm(runner, false).Report();
  EXPECT_THAT(state, FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                               "lvm fullreport: timed out after 120 s; its process group was killed"));

  runner.Unstartable({"lvm"});
  state = Lvm(runner, false).Report();
  EXPECT_THAT(state, FailsWith("NB-STORAGE-COMMAND-FAILED", 22, "lvm fullreport: start lvm: not found in PATH"));

  // Exit 0 with output that is not the report (a warning on stdout, a truncated capture).
  runner.On({"lvm"}, FakeCommandRunner::Output("  WARNING: locking_type (1) is deprecated\n"));
  state = Lvm(runner, false).Report();
  EXPECT_THAT(state, FailsWith("NB-STORAGE-COMMAND-FAILED", 22, HasSubstr("lvm fullreport: cannot read its JSON")));
}

TEST(LvmUdev, RunningMeansRunUdevControlExistsUnderTheRoot) {
  nodeboot::testing::TempDir root;
  const Paths paths(root.path());
  EXPECT_FALSE(Lvm::UdevRunning(paths));
  root.Write("run/udev/other", "");
  EXPECT_FALSE(Lvm::UdevRunning(paths));
  root.Write("run/udev/control", "");
  EXPECT_TRUE(Lvm::UdevRunning(paths));
}

TEST(LvmRun, AChangeRunsAsLvmWithDevicesTheUdevlessConfigAndTenMinutes) {
  FakeCommandRunner runner;
  runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version("2.03.16(2) (2022-05-18)")));
  Lvm lvm(runner, /*udev_running=*/false);
  ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas"));
  ASSERT_EQ(runner.commands.size(), 2u);
  EXPECT_THAT(runner.commands[0].argv, ElementsAre("lvm", "version"));
  EXPECT_FALSE(runner.commands[0].changes_system);
  EXPECT_EQ(runner.commands[0].timeout, seconds(120));
  EXPECT_THAT(runner.commands[1].argv,
              ElementsAre("lvm", "vgcreate", "--addtag", "nodeboot", "--physicalextentsize", "4m", "vgpaas", "/dev/vdb",
                          "/dev/vdc", "--devices", "/dev/vdb,/dev/vdc", "--config", kNoUdev));
  EXPECT_TRUE(runner.commands[1].changes_system);
  EXPECT_EQ(runner.commands[1].timeout, seconds(600));
}

TEST(LvmRun, TheVersionIsAskedOnceAndUdevMeansNoConfig) {
  FakeCommandRunner runner;
  runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version("2.03.12(2) (2021-05-07)")));
  Lvm lvm(runner, /*udev_running=*/true);
  ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas"));
  ASSERT_TRUE(lvm.Run({"lvchange", "--activate", "y", "vgpaas/runtime", "--devices", "/dev/vdb"}, "activate"));
  EXPECT_THAT(runner.Lines(), ElementsAre("lvm version",
                                          "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb "
                                          "/dev/vdc --devices /dev/vdb,/dev/vdc",
                                          "lvm lvchange --activate y vgpaas/runtime --devices /dev/vdb"));
}

// README, Commands: `--devices` only with lvm >= 2.03.12 (found with `lvm version` before the
// first write); an older lvm gets the same command without it.
TEST(LvmRun, AnOlderLvmGetsTheCommandWithoutDevices) {
  for (const std::string release : {"2.03.11(2) (2021-01-08)", "2.03.9(2) (2020-03-26)", "2.02.187(2) (2020-03-24)"}) {
    FakeCommandRunner runner;
    runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version(release)));
    Lvm lvm(runner, /*udev_running=*/true);
    ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas")) << release;
    ASSERT_TRUE(lvm.Run({"lvcreate", "--addtag", "nodeboot", "--name", "runtime", "--extents", "100", "--stripes", "2",
                         "vgpaas", "--devices", "/dev/vdb,/dev/vdc"},
                        "create logical volume vgpaas/runtime"))
        << release;
    EXPECT_THAT(
        runner.Lines(),
        ElementsAre("lvm version", "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb /dev/vdc",
                    "lvm lvcreate --addtag nodeboot --name runtime --extents 100 --stripes 2 vgpaas"))
        << release;
  }
}

TEST(LvmRun, ANewerMajorVersionKeepsDevices) {
  FakeCommandRunner runner;
  runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version("3.0.0(2) (2030-01-01)")));
  Lvm lvm(runner, true);
  ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas"));
  EXPECT_THAT(runner.commands.back().argv, ::testing::Contains("--devices"));
}

// Not knowing the version is the safe side: an lvm that cannot say what it is gets no --devices
// (an unknown option would fail every command).
TEST(LvmRun, AnUnknownVersionMeansNoDevices) {
  const std::vector<CommandResult> answers = {FakeCommandRunner::Exit(3, "  Unknown command\n"),
                                              FakeCommandRunner::Output("lvm2 something else\n"),
                                              FakeCommandRunner::TimedOut()};
  for (const auto& answer : answers) {
    FakeCommandRunner runner;
    runner.On({"lvm", "version"}, answer);
    Lvm lvm(runner, true);
    ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas"));
    EXPECT_EQ(runner.Lines().back(), "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb /dev/vdc");
  }
  FakeCommandRunner runner;
  runner.Unstartable({"lvm", "version"});
  Lvm lvm(runner, true);
  ASSERT_TRUE(lvm.Run(VgCreate(), "create volume group vgpaas"));
  EXPECT_EQ(runner.Lines().back(), "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb /dev/vdc");
}

TEST(LvmRun, AFailedChangeIsExit22NamingTheCommandItsObjectAndTheFirstStderrLine) {
  FakeCommandRunner runner;
  runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version("2.03.16(2) (2022-05-18)")));
  runner.On({"lvm", "vgcreate"}, FakeCommandRunner::Exit(5,
                                                         "  Cannot use /dev/vdb: device is partitioned\n"
                                                         "  Run `vgcreate --help' for more information.\n",
                                                         "  Physical volume \"/dev/vdc\" successfully created.\n"));
  Lvm lvm(runner, false);
  const Status status = lvm.Run(VgCreate(), "create volume group vgpaas");
  EXPECT_THAT(status,
              FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                        "vgcreate (create volume group vgpaas): exit 5: Cannot use /dev/vdb: device is partitioned"));
}

TEST(LvmRun, AKilledOrUnstartableChangeIsExit22Too) {
  FakeCommandRunner runner;
  runner.On({"lvm", "version"}, FakeCommandRunner::Output(Version("2.03.16(2) (2022-05-18)")));
  runner.On({"lvm", "lvcreate"}, FakeCommandRunner::TimedOut());
  Lvm lvm(runner, false);
  Status status = lvm.Run({"lvcreate", "--name", "runtime", "vgpaas"}, "create logical volume vgpaas/runtime");
  EXPECT_THAT(
      status,
      FailsWith(
          "NB-STORAGE-COMMAND-FAILED", 22,
          "lvcreate (create logical volume vgpaas/runtime): timed out after 600 s; its process group was killed"));

  runner.On({"lvm", "lvcreate"}, FakeCommandRunner::Exit(5));  // nothing printed
  status = lvm.Run({"lvcreate", "--name", "runtime", "vgpaas"}, "create logical volume vgpaas/runtime");
  EXPECT_THAT(status,
              FailsWith("NB-STORAGE-COMMAND-FAILED", 22, "lvcreate (create logical volume vgpaas/runtime): exit 5"));

  runner.Unstartable({"lvm", "vgextend"}, "Permission denied");
  status = lvm.Run({"vgextend", "vgpaas", "/dev/vdd"}, "extend volume group vgpaas with /dev/vdd");
  EXPECT_THAT(status, FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                                "vgextend (extend volume group vgpaas with /dev/vdd): start lvm: Permission denied"));
}

}  // namespace
}  // namespace nodeboot::storage
