// Observing the host (observe.h) under a temp root: mount targets (InspectTarget) on a real
// directory tree, every component checked without following links; and Observe over a fake
// /sys/block, /proc/self/mountinfo and /proc/swaps, a scripted `lvm fullreport` and a scripted
// probe: which disks are candidates, which are probed, what lvm and the probe said.
#include "storage/observe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "tests/support/error_matchers.h"
#include "tests/support/fake_command_runner.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

using nodeboot::testing::FailsWith;
using nodeboot::testing::FakeCommandRunner;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(InspectTarget, AMissingTargetIsFineAndEmpty) {
  nodeboot::testing::TempDir root;
  const Paths paths(root.path());
  const TargetState state = InspectTarget(paths, "/var/lib/containerd", {});
  EXPECT_EQ(state.refusal, "");
  EXPECT_FALSE(state.has_content);
}

TEST(InspectTarget, ContentIsSeen) {
  nodeboot::testing::TempDir root;
  root.Write("var/lib/containerd/blob", "x");
  EXPECT_TRUE(InspectTarget(Paths(root.path()), "/var/lib/containerd", {}).has_content);
  fs::create_directories(root.path() / "mnt/empty");
  EXPECT_FALSE(InspectTarget(Paths(root.path()), "/mnt/empty", {}).has_content);
}

TEST(InspectTarget, ALinkAnywhereInThePathIsRefused) {
  nodeboot::testing::TempDir root;
  fs::create_directories(root.path() / "etc");
  fs::create_symlink("/etc", root.path() / "data");
  EXPECT_EQ(InspectTarget(Paths(root.path()), "/data/x", {}).refusal,
            "/data is a symbolic link (to /etc); nodeboot does not mount through links");
  fs::create_directories(root.path() / "opt");
  fs::create_symlink("../etc", root.path() / "opt/app");
  EXPECT_THAT(InspectTarget(Paths(root.path()), "/opt/app", {}).refusal,
              HasSubstr("/opt/app is a symbolic link (to ../etc)"));
  // A dangling link is refused as well: mkdir -p would create its target.
  fs::create_symlink("/nowhere", root.path() / "srv");
  EXPECT_THAT(InspectTarget(Paths(root.path()), "/srv/a/b", {}).refusal, HasSubstr("/srv is a symbolic link"));
}

TEST(InspectTarget, AFileWhereADirectoryBelongsIsRefused) {
  nodeboot::testing::TempDir root;
  root.Write("srv/file", "data");
  EXPECT_EQ(InspectTarget(Paths(root.path()), "/srv/file/x", {}).refusal, "/srv/file is not a directory");
  EXPECT_EQ(InspectTarget(Paths(root.path()), "/srv/file", {}).refusal, "/srv/file is not a directory");
}

TEST(InspectTarget, MountsBelowTheTargetAreListed) {
  nodeboot::testing::TempDir root;
  const std::vector<MountEntry> mounts = {{"0:40", "/mnt/deep/sub", "tmpfs", "tmpfs"},
                                          {"0:41", "/mnt/deeper", "tmpfs", "tmpfs"},
                                          {"0:42", "/mnt/deep", "tmpfs", "tmpfs"}};
  EXPECT_THAT(InspectTarget(Paths(root.path()), "/mnt/deep", mounts).mounts_below, ElementsAre("/mnt/deep/sub"));
}

// Answers from a table (a blank disk, no filesystem, by default) and records what it was asked.
class ScriptedProbe : public SignatureProbe {
 public:
  std::map<std::string, ProbeResult> results;
  std::map<std::string, std::string> filesystems;
  std::vector<std::string> probed;  // Probe's devices, in order
  std::vector<std::string> typed;   // FilesystemType's devices, in order

  ProbeResult Probe(const std::string& device) override {
    probed.push_back(device);
    const auto it = results.find(device);
    return it == results.end() ? ProbeResult{} : it->second;
  }
  std::string FilesystemType(const std::string& device) override {
    typed.push_back(device);
    const auto it = filesystems.find(device);
    return it == filesystems.end() ? "" : it->second;
  }
  std::set<std::string> missing_nodes;  // devices without a node; the others are 253:0
  std::string DeviceNumber(const std::string& device) override { return missing_nodes.contains(device) ? "" : "253:0"; }
};

// `lvm fullreport` of VG vgpaas (tags `tags`) on /dev/vdb with an active dockersys and an
// inactive kubernetes LV.
std::string FullReport(const std::string& tags) {
  return R"({"report":[{"vg":[{"vg_name":"vgpaas","vg_tags":")" + tags +
         R"json(","vg_extent_size":"4194304","vg_extent_count":"25599","vg_free_count":"0"}],
  "pv":[{"pv_name":"/dev/vdb","pv_size":"107374182400","pv_pe_count":"25599"}],
  "lv":[{"lv_name":"dockersys","lv_uuid":"u1","lv_tags":"nodeboot","lv_active":"active","lv_attr":"-wi-a-----",
         "lv_dm_path":"/dev/mapper/vgpaas-dockersys"},
        {"lv_name":"kubernetes","lv_uuid":"u2","lv_tags":"nodeboot","lv_active":"","lv_attr":"-wi-------",
         "lv_dm_path":"/dev/mapper/vgpaas-kubernetes"}],
  "seg":[{"lv_uuid":"u1","stripes":"1","seg_size_pe":"23039","devices":"/dev/vdb(0)"},
         {"lv_uuid":"u2","stripes":"1","seg_size_pe":"2560","devices":"/dev/vdb(23039)"}]
},
 {"vg":[],"pv":[{"pv_name":"/dev/vdf","pv_size":"10737418240","pv_pe_count":"0"}]}]})json";
}

// A host: vda holds '/' (through its partition vda1), vdb is vgpaas's PV, vdc is blank, vdd
// is active swap, vde is mounted at /data, vdf is an orphan PV; loop0, dm-0 and a hidden NVMe
// path are no candidates.
class ObserveTest : public ::testing::Test {
 protected:
  ObserveTest() {
    AddDisk("vda", "254:0");
    root_.Write("sys/block/vda/vda1/partition", "1");
    root_.Write("sys/block/vda/vda1/dev", "254:1");
    fs::create_directories(root_.path() / "sys/dev/block");
    fs::create_symlink("../../block/vda/vda1", root_.path() / "sys/dev/block/254:1");
    AddDisk("vdb", "254:16");
    AddDisk("vdc", "254:32");
    AddDisk("vdd", "254:48");
    AddDisk("vde", "254:64");
    AddDisk("vdf", "254:80");
    AddDisk("loop0", "7:0");
    AddDisk("dm-0", "253:0");
    AddDisk("nvme0c0n1", "259:1");
    root_.Write("sys/block/nvme0c0n1/hidden", "1");
    root_.Write("proc/self/mountinfo",
                "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                "40 22 254:64 / /data rw,relatime shared:9 - xfs /dev/vde rw\n");
    root_.Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/vdd  partition\t1048572\t0\t-2\n");
    input_.spec.groups.push_back(
        {"vgpaas",
         true,
         {"cceUse"},
         {{SpaceKind::kRuntime, 90, LvType::kLinear, ""}, {SpaceKind::kKubernetes, 10, LvType::kLinear, ""}}});
  }

  void AddDisk(const std::string& name, const std::string& devnum) {
    root_.Write("sys/block/" + name + "/dev", devnum);
    root_.Write("sys/block/" + name + "/size", "209715200");  // 100 GiB in sectors
  }

  Result<Observations> Observe() {
    Lvm lvm(runner_, /*udev_running=*/true);
    return storage::Observe(paths_, lvm, probe_, input_, intents_);
  }

  static const Disk* Find(const Observations& observed, const std::string& name) {
    for (const auto& disk : observed.disks) {
      if (disk.name == name) return &disk;
    }
    return nullptr;
  }

  nodeboot::testing::TempDir root_;
  Paths paths_{root_.path()};
  IntentLog intents_{paths_};
  FakeCommandRunner runner_;
  ScriptedProbe probe_;
  PlanInput input_;
};

TEST_F(ObserveTest, OneLvmReadTheCandidatesAndOnlyTheUnknownDisksProbed) {
  runner_.On({"lvm", "fullreport"}, FakeCommandRunner::Output(FullReport("nodeboot")));
  probe_.results["/dev/vdc"] = {};
  probe_.results["/dev/vdf"] = {"LVM2_member", false, ""};
  probe_.filesystems["/dev/mapper/vgpaas-dockersys"] = "ext4";
  const auto observed = Observe();
  ASSERT_TRUE(observed) << observed.error().message;

  EXPECT_THAT(runner_.Lines(), ElementsAre("lvm fullreport --reportformat json --units b --nosuffix"));
  std::vector<std::string> names;
  for (const auto& disk : observed->disks) names.push_back(disk.name);
  EXPECT_THAT(names, ElementsAre("vda", "vdb", "vdc", "vdd", "vde", "vdf"));
  // Not the root disk, the swap, the mounted disk, nor vgpaas's own PV.
  EXPECT_THAT(probe_.probed, ElementsAre("/dev/vdc", "/dev/vdf"));

  const Disk* vda = Find(*observed, "vda");
  EXPECT_TRUE(vda->holds_root);
  EXPECT_THAT(vda->partitions, ElementsAre("vda1"));
  EXPECT_EQ(vda->mounted_at, "/");
  EXPECT_EQ(vda->size_bytes, 100ull << 30);
  EXPECT_EQ(vda->devnum, "254:0");
  EXPECT_TRUE(Find(*observed, "vdd")->swap);
  EXPECT_EQ(Find(*observed, "vde")->mounted_at, "/data");
  EXPECT_FALSE(Find(*observed, "vdb")->holds_root);
  EXPECT_EQ(Find(*observed, "vdb")->signature, "");  // not probed: lvm said what it is
  EXPECT_EQ(Find(*observed, "vdf")->signature, "LVM2_member");

  ASSERT_EQ(observed->lvm.vgs.size(), 1u);
  EXPECT_EQ(observed->lvm.vgs[0].name, "vgpaas");
  ASSERT_EQ(observed->lvm.orphan_pvs.size(), 1u);
  EXPECT_EQ(observed->lvm.orphan_pvs[0].name, "/dev/vdf");
  // Only the active LV's filesystem is asked for.
  EXPECT_THAT(probe_.typed, ElementsAre("/dev/mapper/vgpaas-dockersys"));
  EXPECT_THAT(observed->lv_filesystems,
              ElementsAre(std::pair<const std::string, std::string>("/dev/mapper/vgpaas-dockersys", "ext4")));
  ASSERT_EQ(observed->mounts.size(), 2u);
  EXPECT_TRUE(observed->targets.contains("/var/lib/containerd"));
  EXPECT_TRUE(observed->targets.contains("/mnt/paas/kubernetes/kubelet"));
  EXPECT_FALSE(observed->intent.has_value());
}

TEST_F(ObserveTest, AVgOfTheSameNameWithoutTheTagIsNotTrustedItsDisksAreProbed) {
  runner_.On({"lvm", "fullreport"}, FakeCommandRunner::Output(FullReport("other,team")));
  probe_.results["/dev/vdb"] = {"LVM2_member", false, ""};
  const auto observed = Observe();
  ASSERT_TRUE(observed) << observed.error().message;
  EXPECT_THAT(probe_.probed, ElementsAre("/dev/vdb", "/dev/vdc", "/dev/vdf"));
  EXPECT_EQ(Find(*observed, "vdb")->signature, "LVM2_member");
}

TEST_F(ObserveTest, WhatTheProbeCouldNotReadIsReported) {
  runner_.On({"lvm", "fullreport"}, FakeCommandRunner::Output(R"({"report":[]})"));
  probe_.results["/dev/vdb"] = {"", true, ""};
  probe_.results["/dev/vdc"] = {"", false, "cannot open /dev/vdc: Input/output error"};
  const auto observed = Observe();
  ASSERT_TRUE(observed) << observed.error().message;
  EXPECT_TRUE(Find(*observed, "vdb")->unrecognised_data);
  EXPECT_EQ(Find(*observed, "vdc")->probe_error, "cannot open /dev/vdc: Input/output error");
  EXPECT_TRUE(probe_.typed.empty());  // no VG, no LV to ask about
}

TEST_F(ObserveTest, AFailedLvmReadStopsTheObservationBeforeAnyDiskIsOpened) {
  runner_.On({"lvm", "fullreport"},
             FakeCommandRunner::Exit(5, "  /dev/vdb: read failed after 0 of 4096 at 0: Input/output error\n"));
  const auto observed = Observe();
  EXPECT_THAT(observed,
              FailsWith("NB-STORAGE-COMMAND-FAILED", 22,
                        "lvm fullreport: exit 5: /dev/vdb: read failed after 0 of 4096 at 0: Input/output error"));
  EXPECT_TRUE(probe_.probed.empty());
  EXPECT_TRUE(probe_.typed.empty());
}

}  // namespace
}  // namespace nodeboot::storage
