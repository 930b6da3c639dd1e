// Carrying out a plan's steps (storage/apply.h) on a scripted runner, real HostFiles and a
// real intent record under a temp root: which commands each step runs (lvm through the
// facade, the rest directly) with their timeouts, one stage per call (all under --dry-run),
// the intent record of a changing step left behind when it fails, mkfs only on an LV without
// a filesystem, and how every failure becomes its exit code and message.
#include "storage/apply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/base/atomic_file.h"
#include "tests/support/error_matchers.h"
#include "tests/support/fake_command_runner.h"
#include "tests/support/fake_storage_host.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

using nodeboot::testing::FailsWith;
using nodeboot::testing::FakeCommandRunner;
using std::chrono::seconds;
using ::testing::ElementsAre;

constexpr uint64_t kGiB = 1ull << 30;
constexpr const char* kDm = "/dev/mapper/vgpaas-runtime";

Step CreateVg() {
  Step step;
  step.kind = StepKind::kCreateVg;
  step.vg = "vgpaas";
  step.devices = {"/dev/vdb", "/dev/vdc"};
  step.new_devices = {"/dev/vdb", "/dev/vdc"};
  step.why = "create volume group vgpaas";
  return step;
}

Step CreateLv() {
  Step step;
  step.kind = StepKind::kCreateLv;
  step.vg = "vgpaas";
  step.lv = "runtime";
  step.devices = {"/dev/vdb", "/dev/vdc"};
  step.extents = 200;
  step.stripes = 2;
  step.why = "create logical volume vgpaas/runtime";
  return step;
}

Step MakeFilesystem(Filesystem filesystem = Filesystem::kExt4) {
  Step step;
  step.kind = StepKind::kMakeFilesystem;
  step.vg = "vgpaas";
  step.lv = "runtime";
  step.filesystem = filesystem;
  step.device = kDm;
  step.lv_uuid = "lv-uuid-1";
  step.why = "make " + std::string(Name(filesystem)) + " on vgpaas/runtime";
  return step;
}

Step Mount() {
  Step step;
  step.kind = StepKind::kMount;
  step.filesystem = Filesystem::kExt4;
  step.device = kDm;
  step.target = "/var/lib/containerd";
  step.why = "mount vgpaas/runtime at /var/lib/containerd";
  return step;
}

PlannedDisk Candidate(const std::string& device, const std::string& serial) {
  PlannedDisk planned;
  planned.disk.device = device;
  planned.disk.serial = serial;
  planned.disk.size_bytes = 100 * kGiB;
  planned.usable = true;
  return planned;
}

Plan PlanOf(std::vector<Step> steps, std::vector<PlannedDisk> disks = {}) {
  Plan plan;
  plan.steps = std::move(steps);
  plan.disks = std::move(disks);
  return plan;
}

// A temp root with real HostFiles and intent record, a scripted runner (lvm 2.03.16, no udev)
// and a probe that knows the filesystems the test gives it.
struct Host {
  nodeboot::testing::TempDir root;
  Paths paths{root.path()};
  FakeCommandRunner runner;
  nodeboot::testing::FakeStorageHost probe{root};  // only its filesystems: FilesystemType
  std::unique_ptr<HostFiles> files = MakeRealHostFiles(paths);
  Lvm lvm{runner, /*udev_running=*/true};
  IntentLog intents{paths};

  Host() { runner.On({"lvm", "version"}, FakeCommandRunner::Output("  LVM version:     2.03.16(2) (2022-05-18)\n")); }

  Status Apply(const Plan& plan, bool dry_run = false) {
    ApplyContext context{paths, runner, *files, lvm, probe, intents, dry_run};
    return ApplySteps(plan, context);
  }
};

TEST(ApplySteps, OneCallCarriesOutTheFirstStageOnlyAndClearsItsIntent) {
  Host host;
  const Plan plan = PlanOf({CreateVg(), CreateLv(), MakeFilesystem(), Mount()},
                           {Candidate("/dev/vdb", "S1"), Candidate("/dev/vdc", "S2")});
  ASSERT_TRUE(host.Apply(plan));
  EXPECT_THAT(host.runner.Lines(),
              ElementsAre("lvm version",
                          "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb /dev/vdc --devices "
                          "/dev/vdb,/dev/vdc"));
  EXPECT_EQ(host.runner.commands.back().timeout, seconds(600));
  EXPECT_FALSE(host.intents.Read().has_value());
}

TEST(ApplySteps, AFailedVgcreateIsExit22AndLeavesTheIntentNamingItsDisks) {
  Host host;
  host.runner.On({"lvm", "vgcreate"},
                 FakeCommandRunner::Exit(5,
                                         "  WARNING: ext4 signature detected on /dev/vdc at offset 1080. Wipe it? "
                                         "[y/n]: [n]\n  Aborted wiping of ext4.\n"));
  Plan plan;
  plan.disks = {Candidate("/dev/vdb", "S1"), Candidate("/dev/vdc", "S2"), Candidate("/dev/vdd", "S3")};
  Step extend = CreateVg();
  extend.kind = StepKind::kExtendVg;
  extend.vg = "vgdata";
  extend.new_devices = {"/dev/vdd"};
  plan.steps = {CreateVg(), extend};  // the same stage: the failure stops it

  const Status status = host.Apply(plan);
  EXPECT_THAT(
      status,
      FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                "vgcreate (create volume group vgpaas): exit 5: WARNING: ext4 signature detected on /dev/vdc at offset "
                "1080. Wipe it? [y/n]: [n]"));
  EXPECT_EQ(host.runner.commands.size(), 2u);  // lvm version, vgcreate; no vgextend

  const auto intent = host.intents.Read();
  ASSERT_TRUE(intent.has_value());
  EXPECT_EQ(intent->kind, IntentKind::kCreateVg);
  EXPECT_EQ(intent->vg, "vgpaas");
  ASSERT_EQ(intent->disks.size(), 2u);
  EXPECT_EQ(intent->disks[0].device, "/dev/vdb");
  EXPECT_EQ(intent->disks[0].serial, "S1");
  EXPECT_EQ(intent->disks[0].size_bytes, 100 * kGiB);
  EXPECT_EQ(intent->disks[1].device, "/dev/vdc");
  EXPECT_EQ(intent->disks[1].serial, "S2");
}

TEST(ApplySteps, AKilledLvcreateLeavesItsIntent) {
  Host host;
  host.runner.On({"lvm", "lvcreate"}, FakeCommandRunner::TimedOut());
  const Plan plan = PlanOf({CreateLv()});
  const Status status = host.Apply(plan);
  EXPECT_THAT(
      status,
      FailsWith(
          "NB-STORAGE-COMMAND-FAILED", 22,
          "lvcreate (create logical volume vgpaas/runtime): timed out after 600 s; its process group was killed"));
  EXPECT_EQ(host.runner.Lines().back(),
            "lvm lvcreate --addtag nodeboot --name runtime --extents 200 --stripes 2 vgpaas --devices "
            "/dev/vdb,/dev/vdc");
  const auto intent = host.intents.Read();
  ASSERT_TRUE(intent.has_value());
  EXPECT_EQ(intent->kind, IntentKind::kCreateLv);
  EXPECT_EQ(intent->vg, "vgpaas");
  EXPECT_EQ(intent->lv, "runtime");
}

TEST(ApplySteps, MkfsWithItsCopyRunsDirectlyWithTheirTimeouts) {
  Host host;
  Step step = MakeFilesystem();
  step.copy_content = true;
  step.target = "/var/lib/containerd";
  step.staging = "/run/nodeboot/staging/runtime";
  const Plan plan = PlanOf({step});
  ASSERT_TRUE(host.Apply(plan));
  EXPECT_THAT(host.runner.Lines(),
              ElementsAre("mkfs.ext4 -q /dev/mapper/vgpaas-runtime", "mkdir -p /run/nodeboot/staging/runtime",
                          "mount -t ext4 /dev/mapper/vgpaas-runtime /run/nodeboot/staging/runtime",
                          "cp -a /var/lib/containerd/. /run/nodeboot/staging/runtime/",
                          "umount /run/nodeboot/staging/runtime"));
  std::vector<seconds> timeouts;
  for (const auto& command : host.runner.commands) {
    timeouts.push_back(std::chrono::duration_cast<seconds>(command.timeout));
    EXPECT_TRUE(command.changes_system);
  }
  EXPECT_THAT(timeouts, ElementsAre(seconds(900), seconds(900), seconds(900), seconds(3600), seconds(900)));
  EXPECT_FALSE(host.intents.Read().has_value());
}

TEST(ApplySteps, AFailedCopyIsExit22AndLeavesTheMkfsIntentWithTheLvUuid) {
  Host host;
  host.runner.On({"cp"}, FakeCommandRunner::Exit(1,
                                                 "cp: error writing '/run/nodeboot/staging/runtime/blob': No "
                                                 "space left on device\ncp: another\n"));
  Step step = MakeFilesystem();
  step.copy_content = true;
  step.target = "/var/lib/containerd";
  step.staging = "/run/nodeboot/staging/runtime";
  const Plan plan = PlanOf({step});
  const Status status = host.Apply(plan);
  EXPECT_THAT(
      status,
      FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                "cp (make ext4 on vgpaas/runtime): exit 1: cp: error writing '/run/nodeboot/staging/runtime/blob': No "
                "space left on device"));
  EXPECT_EQ(host.runner.commands.size(), 4u);  // no umount after the failed copy
  const auto intent = host.intents.Read();
  ASSERT_TRUE(intent.has_value());
  EXPECT_EQ(intent->kind, IntentKind::kMakeFilesystem);
  EXPECT_EQ(intent->lv_uuid, "lv-uuid-1");
}

TEST(ApplySteps, AMissingProgramIsExit22NamingIt) {
  Host host;
  host.runner.Unstartable({"mkfs.xfs"});
  const Plan plan = PlanOf({MakeFilesystem(Filesystem::kXfs)});
  const Status status = host.Apply(plan);
  EXPECT_THAT(status, FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                                "mkfs.xfs (make xfs on vgpaas/runtime): start mkfs.xfs: not found in PATH"));
}

TEST(ApplySteps, AnLvWithThePlansFilesystemIsNotRemade) {
  Host host;
  host.probe.filesystems[kDm] = "ext4";
  const Plan plan = PlanOf({MakeFilesystem(), Mount()});
  ASSERT_TRUE(host.Apply(plan));
  EXPECT_THAT(host.runner.Lines(), ElementsAre("mkdir -p /var/lib/containerd",
                                               "mount -t ext4 /dev/mapper/vgpaas-runtime /var/lib/containerd"));
}

TEST(ApplySteps, AnLvWithAnotherFilesystemIsExit21AndNothingRuns) {
  Host host;
  host.probe.filesystems[kDm] = "xfs";
  const Plan plan = PlanOf({MakeFilesystem(), Mount()});
  const Status status = host.Apply(plan);
  EXPECT_THAT(status, FailsWith("NB-STORAGE-UNSAFE-DISK", 21,
                                "/dev/mapper/vgpaas-runtime carries xfs, not ext4; it is not re-made"));
  EXPECT_TRUE(host.runner.commands.empty());
  EXPECT_FALSE(host.intents.Read().has_value());
}

// The intent record proved the LV is nodeboot's interrupted work: whatever a half-made mkfs
// left is not asked about, and the force flag is the filesystem's own.
TEST(ApplySteps, ForceRemakesWithoutAskingTheProbe) {
  Host host;
  host.probe.filesystems[kDm] = "xfs";
  Step ext4 = MakeFilesystem();
  ext4.force = true;
  Step xfs = MakeFilesystem(Filesystem::kXfs);
  xfs.force = true;
  const Plan plan = PlanOf({ext4, xfs});
  ASSERT_TRUE(host.Apply(plan));
  EXPECT_THAT(host.runner.Lines(),
              ElementsAre("mkfs.ext4 -q -F /dev/mapper/vgpaas-runtime", "mkfs.xfs -q -f /dev/mapper/vgpaas-runtime"));
}

TEST(ApplySteps, FstabIsWrittenThroughHostFiles) {
  Host host;
  Step step;
  step.kind = StepKind::kWriteFstab;
  step.fstab = "/dev/mapper/vgpaas-runtime /var/lib/containerd ext4 defaults 0 2\n";
  step.why = "write /etc/fstab";
  const Plan plan = PlanOf({step});
  ASSERT_TRUE(host.Apply(plan));
  EXPECT_TRUE(host.runner.commands.empty());
  EXPECT_EQ(ReadFile(host.paths.Host("/etc/fstab")).value(), step.fstab);
  EXPECT_EQ(std::filesystem::status(host.paths.Host("/etc/fstab")).permissions(), std::filesystem::perms(0644));

  // /etc is a file under this root: the write fails, and says so.
  Host broken;
  broken.root.Write("etc", "not a directory");
  const Status status = broken.Apply(plan);
  EXPECT_THAT(status, FailsWith("NB-STORAGE-COMMAND-FAILED", 22, ::testing::StartsWith("write /etc/fstab: ")));
}

// --dry-run: every stage at once (the runner and files print), no intent is recorded (a failed
// mkfs leaves none), and the filesystem probe is not consulted (the LVs do not exist yet).
TEST(ApplySteps, DryRunCarriesOutEveryStageAndRecordsNoIntent) {
  Host host;
  host.probe.filesystems[kDm] = "xfs";
  host.runner.On({"mkfs.ext4"}, FakeCommandRunner::Exit(1, "mkfs.ext4: Device size reported to be zero.\n"));
  const Plan plan = PlanOf({CreateVg(), CreateLv(), MakeFilesystem(), Mount()},
                           {Candidate("/dev/vdb", "S1"), Candidate("/dev/vdc", "S2")});
  const Status status = host.Apply(plan, /*dry_run=*/true);
  EXPECT_THAT(
      status,
      FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                "mkfs.ext4 (make ext4 on vgpaas/runtime): exit 1: mkfs.ext4: Device size reported to be zero."));
  EXPECT_THAT(host.runner.Lines(),
              ElementsAre("lvm version",
                          "lvm vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas /dev/vdb /dev/vdc --devices "
                          "/dev/vdb,/dev/vdc",
                          "lvm lvcreate --addtag nodeboot --name runtime --extents 200 --stripes 2 vgpaas --devices "
                          "/dev/vdb,/dev/vdc",
                          "mkfs.ext4 -q /dev/mapper/vgpaas-runtime"));
  EXPECT_FALSE(std::filesystem::exists(host.paths.Host(Paths::kStorageIntentFile)));
}

}  // namespace
}  // namespace nodeboot::storage
