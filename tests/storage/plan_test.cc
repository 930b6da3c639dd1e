// The planner on tables of disks: selection, usability, exact extents, stripes, actions.
#include "storage/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nodeboot::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kGiB = 1ull << 30;

Disk MakeDisk(std::string name, uint64_t gib, std::string serial = "") {
  Disk disk;
  disk.name = name;
  disk.device = "/dev/" + name;
  disk.size_bytes = gib * kGiB;
  disk.serial = std::move(serial);
  return disk;
}

Spec DefaultCce(LvType type = LvType::kLinear, std::optional<int> count = std::nullopt) {
  Spec spec;
  Selector selector{"cceUse", StorageType::kEvs, {}};
  selector.match.count = count;
  spec.selectors.push_back(selector);
  spec.groups.push_back(
      {"vgpaas", true, {"cceUse"}, {{SpaceKind::kRuntime, 90, type, ""}, {SpaceKind::kKubernetes, 10, type, ""}}});
  return spec;
}

PlanInput Input(Spec spec, std::vector<TemplateVolume> volumes = {{"SAS", 100, false, ""}}) {
  PlanInput input;
  input.spec = std::move(spec);
  input.inventory.data_volumes = std::move(volumes);
  return input;
}

// Every command of every step, in order; the fstab write as {"write /etc/fstab"}.
std::vector<std::vector<std::string>> Argvs(const Plan& plan) {
  std::vector<std::vector<std::string>> all;
  for (const auto& step : plan.steps) {
    if (step.kind == StepKind::kWriteFstab) all.push_back({"write /etc/fstab"});
    for (auto& argv : storage::Commands(step)) all.push_back(std::move(argv));
  }
  return all;
}

std::vector<std::string> Commands(const Plan& plan) {
  std::vector<std::string> commands;
  for (const auto& argv : Argvs(plan)) commands.push_back(argv.front());
  return commands;
}

std::string NewFstab(const Plan& plan) {
  for (const auto& step : plan.steps) {
    if (step.kind == StepKind::kWriteFstab) return step.fstab;
  }
  return "";
}

TEST(Arithmetic, ExtentsAreExactFloors) {
  EXPECT_EQ(PvExtents(100 * kGiB), 25599);  // (102400 MiB - 1 MiB) / 4 MiB
  EXPECT_EQ(SpaceExtents(90, 25599, 1), 23039);
  EXPECT_EQ(SpaceExtents(10, 25599, 1), 2559);
  EXPECT_EQ(SpaceExtents(90, 51198, 2), 46078);  // floor(46078.2 / 2) * 2
  EXPECT_EQ(SpaceExtents(33, 100, 3), 33);
  EXPECT_EQ(SpaceExtents(50, 7, 2), 2);  // 3.5 -> 1 per stripe -> 2
  EXPECT_EQ(SpaceExtents(100, 255, 1), 255);
  EXPECT_EQ(DmPath("vg-data", "my-lv"), "/dev/mapper/vg--data-my--lv");
}

TEST(Plan, DefaultCceLayoutOnOneDisk) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100, "5a2b3c4d1e2f4a5b8c9d")};
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->groups.size(), 1u);
  const auto& group = plan->groups[0];
  EXPECT_THAT(group.devices, ElementsAre("/dev/vdb"));
  EXPECT_EQ(group.extents, 25599);
  ASSERT_EQ(group.volumes.size(), 2u);
  EXPECT_EQ(group.volumes[0].lv, "dockersys");
  EXPECT_EQ(group.volumes[0].extents, 23039);
  EXPECT_EQ(group.volumes[0].mount_point, "/var/lib/containerd");
  EXPECT_EQ(group.volumes[1].lv, "kubernetes");
  EXPECT_EQ(group.volumes[1].extents, 2559);
  EXPECT_EQ(group.volumes[1].mount_point, "/mnt/paas/kubernetes/kubelet");
  EXPECT_EQ(plan->disks[0].selector, "cceUse");
  EXPECT_EQ(plan->disks[0].attributes.kind, StorageType::kEvs);
  EXPECT_EQ(Argvs(*plan)[0], (std::vector<std::string>{"vgcreate", "--addtag", "nodeboot", "--physicalextentsize", "4m",
                                                       "vgpaas", "/dev/vdb", "--devices", "/dev/vdb"}));
  EXPECT_EQ(Argvs(*plan)[1], (std::vector<std::string>{"lvcreate", "--addtag", "nodeboot", "--name", "dockersys",
                                                       "--extents", "23039", "vgpaas", "--devices", "/dev/vdb"}));
  EXPECT_THAT(Commands(*plan), ElementsAre("vgcreate", "lvcreate", "lvcreate", "mkfs.ext4", "mkfs.ext4",
                                           "write /etc/fstab", "mkdir", "mount", "mkdir", "mount"));
  EXPECT_THAT(
      NewFstab(*plan),
      HasSubstr("# nodeboot: vgpaas/dockersys\n/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2\n"));
}

TEST(Plan, OneVgcreatePerGroupHoweverManyDisks) {
  Observations observed;
  for (int i = 0; i < 16; ++i) observed.disks.push_back(MakeDisk("vd" + std::string(1, char('b' + i)), 100));
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->groups[0].devices.size(), 16u);
  const auto commands = Commands(*plan);
  EXPECT_EQ(std::count(commands.begin(), commands.end(), "vgcreate"), 1);
  EXPECT_EQ(plan->groups[0].extents, 16 * 25599);
}

TEST(Plan, StripedOverTwoEqualDisksCreatesStripedFirst) {
  Spec spec = DefaultCce();
  spec.groups[0].spaces[0].lv_type = LvType::kLinear;
  spec.groups[0].spaces[1].lv_type = LvType::kStriped;  // kubernetes striped, runtime linear
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100), MakeDisk("vdc", 100)};
  auto plan = BuildPlan(Input(spec), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  const auto& volumes = plan->groups[0].volumes;
  EXPECT_EQ(volumes[0].lv, "kubernetes");  // striped first
  EXPECT_EQ(volumes[0].stripes, 2);
  EXPECT_EQ(volumes[0].extents, 5118);  // floor(0.1 * 51198 / 2) * 2
  EXPECT_EQ(volumes[1].lv, "dockersys");
  EXPECT_EQ(volumes[1].extents, 46078);
  EXPECT_THAT(Argvs(*plan)[1], ::testing::Contains("--stripes"));
}

TEST(Plan, StripedNeedsEqualDisks) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100), MakeDisk("vdc", 200)};
  auto plan =
      BuildPlan(Input(DefaultCce(LvType::kStriped), {{"SAS", 100, false, ""}, {"SAS", 200, false, ""}}), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 20);
  EXPECT_THAT(plan.error().message, HasSubstr("needs disks of equal size"));
}

TEST(Plan, StripedNeedsTwoDisks) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  auto plan = BuildPlan(Input(DefaultCce(LvType::kStriped)), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 20);
  EXPECT_THAT(plan.error().message, HasSubstr("needs at least 2 disks, the selectors found 1"));
}

TEST(Plan, SelectorsAreOrderedConsumingAndCounted) {
  Spec spec;
  spec.selectors.push_back({"first", StorageType::kEvs, {}});
  spec.selectors[0].match.count = 1;
  spec.selectors.push_back({"rest", StorageType::kEvs, {}});
  spec.groups.push_back(
      {"vgpaas",
       true,
       {"first"},
       {{SpaceKind::kRuntime, 90, LvType::kLinear, ""}, {SpaceKind::kKubernetes, 10, LvType::kLinear, ""}}});
  spec.groups.push_back({"vguser", false, {"rest"}, {{SpaceKind::kUser, 100, LvType::kLinear, "/data"}}});
  Observations observed;
  observed.disks = {MakeDisk("vdc", 100), MakeDisk("vdb", 100), MakeDisk("vdd", 100)};
  auto plan = BuildPlan(Input(spec), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(plan->groups[0].devices, ElementsAre("/dev/vdb"));  // disks in name order
  EXPECT_THAT(plan->groups[1].devices, ElementsAre("/dev/vdc", "/dev/vdd"));
  EXPECT_EQ(plan->groups[1].volumes[0].mount_point, "/data");
}

TEST(Plan, MatchLabelsAreLooseAndTypeIsCaseInsensitive) {
  Spec spec = DefaultCce();
  spec.selectors[0].match.volume_type = "ssd";
  spec.selectors[0].match.size_gib = 200;
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100), MakeDisk("vdc", 200), MakeDisk("vdd", 200)};
  PlanInput input = Input(spec, {});
  input.inventory.disks = {{"aaaaaaaa-1111-2222-3333-444444444444", "SAS", false, "", ""},
                           {"bbbbbbbb-1111-2222-3333-444444444444", "SSD", false, "", ""}};
  observed.disks[1].serial = "bbbbbbbb-1111-2222-3";  // virtio: the first 20 characters, dashes kept
  observed.disks[2].serial = "aaaaaaaa111122223333";  // or without dashes
  auto plan = BuildPlan(input, observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(plan->groups[0].devices, ElementsAre("/dev/vdc"));
  EXPECT_EQ(plan->disks[0].attributes.kind, StorageType::kLocal);  // vdb matched nothing
  EXPECT_EQ(plan->disks[2].attributes.volume_type, "SAS");
}

TEST(Plan, LocalSelectorTakesLocalDisksOnly) {
  Spec spec = DefaultCce();
  spec.selectors[0].type = StorageType::kLocal;
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100), MakeDisk("nvme0n1", 1490)};
  auto plan = BuildPlan(Input(spec), observed, "");  // vdb is the 100 GiB dataVolume: evs
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(plan->groups[0].devices, ElementsAre("/dev/nvme0n1"));
}

TEST(Plan, EncryptedSelectorNeedsTheInventory) {
  Spec spec = DefaultCce();
  spec.selectors[0].match.encrypted = true;
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  auto unencrypted = BuildPlan(Input(spec), observed, "");
  ASSERT_FALSE(unencrypted);
  EXPECT_EQ(unencrypted.error().exit_code, 20);
  auto encrypted = BuildPlan(Input(spec, {{"SAS", 100, true, "key-1"}}), observed, "");
  ASSERT_TRUE(encrypted) << encrypted.error().message;
}

TEST(Plan, DisksWithDataAreSkippedAndNamedWhenNothingElseMatches) {
  struct Case {
    std::function<void(Disk&)> mutate;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {[](Disk& d) { d.signature = "ext4"; }, "carries a ext4 signature, not created by nodeboot"},
      {[](Disk& d) { d.signature = "gpt"; }, "carries a gpt signature"},
      {[](Disk& d) { d.signature = "swap"; }, "carries a swap signature"},
      {[](Disk& d) { d.partitions = {"vdb1"}; }, "has partitions (vdb1)"},
      {[](Disk& d) { d.mounted_at = "/srv"; }, "is mounted at /srv"},
      {[](Disk& d) { d.swap = true; }, "is in use as swap"},
      {[](Disk& d) { d.holders = {"dm-3"}; }, "is in use by dm-3"},
      {[](Disk& d) { d.unrecognised_data = true; }, "holds data in its first or last MiB"},
      {[](Disk& d) { d.probe_error = "open /dev/vdb: Permission denied"; },
       "cannot be probed (open /dev/vdb: Permission denied), so it is not provably blank"},
      {[](Disk& d) { d.read_only = true; }, "is read-only"},
  };
  for (const auto& c : cases) {
    Observations observed;
    observed.disks = {MakeDisk("vdb", 100)};
    c.mutate(observed.disks[0]);
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan) << c.reason;
    EXPECT_EQ(plan.error().exit_code, 21) << c.reason;
    EXPECT_EQ(plan.error().code, "NB-STORAGE-UNSAFE-DISK");
    EXPECT_THAT(plan.error().message, HasSubstr("/dev/vdb " + std::string(c.reason)));
  }
}

TEST(Plan, ADiskWithDataIsSkippedWhenABlankOneServes) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100), MakeDisk("vdc", 100)};
  observed.disks[0].signature = "xfs";
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(plan->groups[0].devices, ElementsAre("/dev/vdc"));
  EXPECT_FALSE(plan->disks[0].usable);
  EXPECT_THAT(plan->disks[0].reason, HasSubstr("xfs"));
}

TEST(Plan, NoMatchingDiskIsUnsatisfiable) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 50)};
  Spec spec = DefaultCce();
  spec.selectors[0].match.size_gib = 100;
  auto plan = BuildPlan(Input(spec, {{"SAS", 50, false, ""}}), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 20);
  EXPECT_EQ(plan.error().code, "NB-STORAGE-UNSATISFIABLE");
  EXPECT_THAT(plan.error().message, HasSubstr("group vgpaas: no usable disk matches its selectors (cceUse)"));
}

TEST(Plan, TheRootDiskIsNeverACandidate) {
  Observations observed;
  observed.disks = {MakeDisk("vda", 100)};
  observed.disks[0].holds_root = true;
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 20);  // not "unsafe": it was never in the running
}

// A VG as a previous run left it, with `lvs` created.
LvmState NodebootVg(const std::vector<std::pair<std::string, int64_t>>& lvs, int64_t extents = 25599) {
  LvmState state;
  LvmVolumeGroup vg{"vgpaas", {"nodeboot"}, extents, {{"/dev/vdb", "vgpaas", 100 * kGiB, extents}}, {}};
  for (const auto& [name, size] : lvs) {
    vg.lvs.push_back({name, {"nodeboot"}, true, DmPath("vgpaas", name), {{1, size, {"/dev/vdb"}}}, "uuid-" + name});
  }
  state.vgs.push_back(vg);
  return state;
}

TEST(Plan, AnInterruptedRunIsCompleted) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.disks[0].signature = "LVM2_member";
  // After vgcreate: only the LVs and what follows.
  observed.lvm = NodebootVg({});
  auto after_vgcreate = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(after_vgcreate) << after_vgcreate.error().message;
  EXPECT_TRUE(after_vgcreate->disks[0].adopted);
  EXPECT_THAT(Commands(*after_vgcreate), ElementsAre("lvcreate", "lvcreate", "mkfs.ext4", "mkfs.ext4",
                                                     "write /etc/fstab", "mkdir", "mount", "mkdir", "mount"));
  // After one lvcreate and its mkfs.
  observed.lvm = NodebootVg({{"dockersys", 23039}});
  observed.lv_filesystems["/dev/mapper/vgpaas-dockersys"] = "ext4";
  auto after_mkfs = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(after_mkfs) << after_mkfs.error().message;
  EXPECT_THAT(Commands(*after_mkfs),
              ElementsAre("lvcreate", "mkfs.ext4", "write /etc/fstab", "mkdir", "mount", "mkdir", "mount"));
}

TEST(Plan, AFinishedNodeNeedsNothing) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.disks[0].signature = "LVM2_member";
  observed.lvm = NodebootVg({{"dockersys", 23039}, {"kubernetes", 2559}});
  observed.lv_filesystems = {{"/dev/mapper/vgpaas-dockersys", "ext4"}, {"/dev/mapper/vgpaas-kubernetes", "ext4"}};
  observed.mounts = {{"253:0", "/var/lib/containerd", "ext4", "/dev/mapper/vgpaas-dockersys"},
                     {"253:1", "/mnt/paas/kubernetes/kubelet", "ext4", "/dev/mapper/vgpaas-kubernetes"}};
  const std::string fstab =
      "UUID=abc / ext4 defaults 0 1\n# nodeboot: vgpaas/dockersys\n"
      "/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2\n"
      "# nodeboot: vgpaas/kubernetes\n"
      "/dev/mapper/vgpaas-kubernetes /mnt/paas/kubernetes/kubelet ext4 defaults 0 2\n";
  auto plan = BuildPlan(Input(DefaultCce()), observed, fstab);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->steps.empty());
}

TEST(Plan, UnsafeExistingState) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.disks[0].signature = "LVM2_member";
  {  // a VG of our name that nodeboot did not make
    observed.lvm = NodebootVg({});
    observed.lvm.vgs[0].tags.clear();
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit_code, 21);
  }
  {  // an LV of another size
    observed.lvm = NodebootVg({{"dockersys", 100}});
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan);
    EXPECT_THAT(plan.error().message, HasSubstr("exists with 100 extents and 1 stripe(s), the plan says 23039 and 1"));
  }
  {  // an LV that carries another filesystem
    observed.lvm = NodebootVg({{"dockersys", 23039}});
    observed.lv_filesystems = {{"/dev/mapper/vgpaas-dockersys", "xfs"}};
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit_code, 21);
    EXPECT_THAT(plan.error().message, HasSubstr("carries xfs, not the ext4"));
  }
  {  // the mount target is somebody else's mount
    observed.lvm = {};
    observed.lv_filesystems = {};
    observed.disks[0].signature = "";
    observed.mounts = {{"8:3", "/var/lib/containerd", "ext4", "/dev/sda3"}};
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan);
    EXPECT_THAT(plan.error().message, HasSubstr("/var/lib/containerd is already a mount point of /dev/sda3"));
  }
  {  // a PV of a foreign VG
    observed.mounts = {};
    observed.disks[0].signature = "LVM2_member";
    observed.lvm = NodebootVg({});
    observed.lvm.vgs[0].name = "datavg";
    observed.lvm.vgs[0].tags.clear();
    observed.lvm.vgs[0].pvs[0].vg = "datavg";
    auto plan = BuildPlan(Input(DefaultCce()), observed, "");
    ASSERT_FALSE(plan);
    EXPECT_THAT(plan.error().message,
                HasSubstr("/dev/vdb is a physical volume of volume group datavg, not created by nodeboot"));
  }
}

TEST(Plan, ExistingContentIsCopiedBeforeTheMount) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.targets["/var/lib/containerd"].has_content = true;
  PlanInput input = Input(DefaultCce());
  input.host_prefix = "/tmp/root";
  auto plan = BuildPlan(input, observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  std::vector<std::string> lines;
  for (const auto& argv : Argvs(*plan)) {
    if (argv[0] == "cp" || argv[0] == "mount" || argv[0] == "umount")
      lines.push_back(fmt::format("{}", fmt::join(argv, " ")));
  }
  EXPECT_THAT(lines,
              ElementsAre("mount -t ext4 /dev/mapper/vgpaas-dockersys /tmp/root/run/nodeboot/staging/vgpaas-dockersys",
                          "cp -a /tmp/root/var/lib/containerd/. /tmp/root/run/nodeboot/staging/vgpaas-dockersys/",
                          "umount /tmp/root/run/nodeboot/staging/vgpaas-dockersys",
                          "mount -t ext4 /dev/mapper/vgpaas-dockersys /tmp/root/var/lib/containerd",
                          "mount -t ext4 /dev/mapper/vgpaas-kubernetes /tmp/root/mnt/paas/kubernetes/kubelet"));
}

TEST(Plan, DockerRuntimeAndXfs) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  PlanInput input = Input(DefaultCce());
  input.runtime_is_docker = true;
  input.filesystem = Filesystem::kXfs;
  auto plan = BuildPlan(input, observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->groups[0].volumes[0].mount_point, "/var/lib/docker");
  EXPECT_THAT(Commands(*plan), ::testing::Contains("mkfs.xfs"));
  EXPECT_THAT(Commands(*plan), ::testing::Not(::testing::Contains("mkfs.ext4")));
  // The fstab lines name the filesystem that was made (mount at boot reads it), with fsck
  // pass 0: xfs is checked by mounting it (fsck.xfs does nothing).
  EXPECT_EQ(
      NewFstab(*plan),
      "# nodeboot: vgpaas/dockersys\n/dev/mapper/vgpaas-dockersys /var/lib/docker xfs defaults 0 0\n"
      "# nodeboot: vgpaas/kubernetes\n/dev/mapper/vgpaas-kubernetes /mnt/paas/kubernetes/kubelet xfs defaults 0 0\n");
}

TEST(Plan, HostileTargetsAndForeignFstabLinesAreRefusedBeforeAnyStep) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.targets["/var/lib/containerd"].refusal = "/var/lib/containerd is a symbolic link (to /srv)";
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 21);
  EXPECT_THAT(plan.error().message,
              HasSubstr("mount target /var/lib/containerd: /var/lib/containerd is a symbolic link"));

  observed.targets.clear();
  observed.targets["/mnt/paas/kubernetes/kubelet"].mounts_below = {"/mnt/paas/kubernetes/kubelet/pods"};
  plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message, HasSubstr("has /mnt/paas/kubernetes/kubelet/pods mounted below it"));

  observed.targets.clear();
  plan = BuildPlan(Input(DefaultCce()), observed,
                   "UUID=1 / ext4 defaults 0 1\nLABEL=x /var/lib/containerd xfs defaults 0 0\n");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().exit_code, 21);
  EXPECT_THAT(
      plan.error().message,
      HasSubstr("/etc/fstab line 2 (\"LABEL=x /var/lib/containerd xfs defaults 0 0\") mounts /var/lib/containerd"));
}

TEST(Plan, MountsBelowAMountedVolumeAreItsOwn) {
  // A running node's kubelet mounts pod volumes under its LV: that is no reason to refuse.
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.lvm = NodebootVg({{"dockersys", 23039}, {"kubernetes", 2559}});
  observed.lv_filesystems = {{"/dev/mapper/vgpaas-dockersys", "ext4"}, {"/dev/mapper/vgpaas-kubernetes", "ext4"}};
  observed.mounts = {{"253:0", "/var/lib/containerd", "ext4", "/dev/mapper/vgpaas-dockersys"},
                     {"253:1", "/mnt/paas/kubernetes/kubelet", "ext4", "/dev/mapper/vgpaas-kubernetes"}};
  observed.targets["/mnt/paas/kubernetes/kubelet"].mounts_below = {"/mnt/paas/kubernetes/kubelet/pods/x/volumes/y"};
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(Commands(*plan), ElementsAre("write /etc/fstab"));
}

TEST(Plan, ANewDiskDoesNotBlockARepair) {
  Observations observed;
  observed.disks = {MakeDisk("vda", 100), MakeDisk("vdb", 100)};  // vda is new, and sorts first
  observed.lvm = NodebootVg({{"dockersys", 23039}, {"kubernetes", 2559}});
  observed.lv_filesystems = {{"/dev/mapper/vgpaas-dockersys", "ext4"}, {"/dev/mapper/vgpaas-kubernetes", "ext4"}};
  observed.mounts = {{"253:0", "/var/lib/containerd", "ext4", "/dev/mapper/vgpaas-dockersys"}};  // kubelet's is lost
  for (const std::optional<int> count : {std::optional<int>{}, std::optional<int>{1}}) {
    auto plan = BuildPlan(Input(DefaultCce(LvType::kLinear, count)), observed, "");
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_THAT(plan->groups[0].devices, ElementsAre("/dev/vdb"));
    EXPECT_THAT(Commands(*plan), ElementsAre("write /etc/fstab", "mkdir", "mount"));
    if (!count) {
      EXPECT_TRUE(plan->disks[0].usable);
      EXPECT_THAT(plan->disks[0].reason, HasSubstr("matches selector cceUse but is left unused"));
    } else {
      EXPECT_EQ(plan->disks[0].selector, "");  // the counted selector kept the disk already in the VG
    }
  }
}

TEST(Plan, AHalfMadePvIsTakenOnlyWithAnIntentNamingIt) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100, "serial-b")};
  observed.lvm.orphan_pvs = {{"/dev/vdb", "", 100 * kGiB, 0}};
  auto refused = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().exit_code, 21);
  observed.intent = Intent{IntentKind::kCreateVg, "vgpaas", "", "", {{"/dev/vdb", "serial-b", 100 * kGiB}}};
  auto taken = BuildPlan(Input(DefaultCce()), observed, "");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_THAT(taken->disks[0].reason, HasSubstr("left half-made by nodeboot's interrupted vgcreate of vgpaas"));
  EXPECT_EQ(Argvs(*taken)[0][0], "vgcreate");
  observed.intent->disks[0].size_bytes = 200 * kGiB;  // not the disk it was
  EXPECT_FALSE(BuildPlan(Input(DefaultCce()), observed, ""));
  observed.lvm.orphan_pvs.clear();
  observed.disks[0].unrecognised_data = true;  // a label no prober names yet
  observed.intent->disks[0].size_bytes = 100 * kGiB;
  EXPECT_TRUE(BuildPlan(Input(DefaultCce()), observed, ""));
  observed.disks[0].signature = "ext4";  // something else wrote there: never nodeboot's
  EXPECT_FALSE(BuildPlan(Input(DefaultCce()), observed, ""));
}

TEST(Plan, AStaleStagingMountIsReleasedFirst) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.mounts = {{"253:0", "/run/nodeboot/staging/vgpaas-dockersys", "ext4", "/dev/mapper/vgpaas-dockersys"}};
  PlanInput input = Input(DefaultCce());
  input.host_prefix = "/tmp/root";
  auto plan = BuildPlan(input, observed, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->steps[0].kind, StepKind::kReleaseStaging);
  EXPECT_EQ(Argvs(*plan)[0], (std::vector<std::string>{"umount", "/tmp/root/run/nodeboot/staging/vgpaas-dockersys"}));
  EXPECT_EQ(Stage(plan->steps[0].kind), 0);
  EXPECT_EQ(Stage(plan->steps[1].kind), 1);
}

TEST(Plan, AnMkfsIntentForThisLvRemakesItsFilesystemUnlessMounted) {
  Observations observed;
  observed.disks = {MakeDisk("vdb", 100)};
  observed.lvm = NodebootVg({{"dockersys", 23039}, {"kubernetes", 2559}});
  observed.lv_filesystems = {{"/dev/mapper/vgpaas-dockersys", "xfs"}, {"/dev/mapper/vgpaas-kubernetes", "ext4"}};
  observed.intent = Intent{IntentKind::kMakeFilesystem, "vgpaas", "dockersys", "uuid-dockersys", {}};
  auto plan = BuildPlan(Input(DefaultCce()), observed, "");  // half-made: blkid already says xfs
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(Argvs(*plan)[0], (std::vector<std::string>{"mkfs.ext4", "-q", "-F", "/dev/mapper/vgpaas-dockersys"}));
  observed.mounts = {{"253:0", "/var/lib/containerd", "xfs", "/dev/mapper/vgpaas-dockersys"}};
  EXPECT_FALSE(BuildPlan(Input(DefaultCce()), observed, "")) << "a mounted LV is never re-made";
  observed.mounts.clear();
  observed.intent->lv_uuid = "uuid-other";
  EXPECT_FALSE(BuildPlan(Input(DefaultCce()), observed, "")) << "another LV of the same name proves nothing";
}

}  // namespace
}  // namespace nodeboot::storage
