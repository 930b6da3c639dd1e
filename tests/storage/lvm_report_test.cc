// lvm JSON, fstab and mountinfo parsing on captured real output (lvm 2.03.16, Debian 12).
#include "storage/lvm_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/fstab.h"
#include "storage/mountinfo.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Data(const std::string& name) {
  return nodeboot::testing::Slurp(std::string(NODEBOOT_SOURCE_DIR) + "/tests/data/lvm/" + name);
}

TEST(LvmReport, EmptyHost) {
  auto state = ParseLvmFullReport(Data("fullreport-empty.json"));
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_TRUE(state->vgs.empty());
  EXPECT_TRUE(state->orphan_pvs.empty());
}

TEST(LvmReport, VgWithStripedAndLinearLvsAndAnOrphanPv) {
  auto state = ParseLvmFullReport(Data("fullreport-full.json"));
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_EQ(state->vgs.size(), 1u);
  const auto& vg = state->vgs[0];
  EXPECT_EQ(vg.name, "vgpaas");
  EXPECT_TRUE(vg.HasTag("nodeboot"));
  EXPECT_EQ(vg.extent_count, 510);
  ASSERT_EQ(vg.pvs.size(), 2u);
  EXPECT_EQ(vg.pvs[0].name, "/dev/vda");
  EXPECT_EQ(vg.pvs[0].extents, 255);
  const auto* docker = vg.FindLv("dockersys");
  ASSERT_NE(docker, nullptr);
  EXPECT_EQ(docker->extents(), 100);
  EXPECT_EQ(docker->stripes(), 2);
  EXPECT_THAT(docker->devices(), ElementsAre("/dev/vda", "/dev/vdb"));
  EXPECT_TRUE(docker->active);
  EXPECT_EQ(docker->dm_path, "/dev/mapper/vgpaas-dockersys");
  EXPECT_THAT(docker->tags, ElementsAre("nodeboot"));
  const auto* kube = vg.FindLv("kubernetes");
  ASSERT_NE(kube, nullptr);
  EXPECT_EQ(kube->extents(), 11);
  EXPECT_EQ(kube->stripes(), 1);
  ASSERT_EQ(state->orphan_pvs.size(), 1u);
  EXPECT_EQ(state->orphan_pvs[0].name, "/dev/vdc");
  EXPECT_EQ(state->FindPv("/dev/vdc")->vg, "");
  EXPECT_EQ(state->FindPv("/dev/vdb")->vg, "vgpaas");
  EXPECT_EQ(state->FindPv("/dev/vdd"), nullptr);
}

TEST(LvmReport, MalformedInputIsAnError) {
  for (const char* text :
       {"", "{", "{\"report\": 3}", R"({"report":[{"vg":[{"vg_name":"x","vg_extent_count":"abc"}]}]})"}) {
    auto state = ParseLvmFullReport(text);
    ASSERT_FALSE(state) << text;
    EXPECT_EQ(state.error().exit_code, 22);
    EXPECT_THAT(state.error().message, HasSubstr("lvm fullreport"));
  }
}

// Caught by UBSan in tests/fuzz/lvm_report_fuzz (on a written input): two segments of one LV
// whose extents add up past int64 overflowed in LvmLogicalVolume::extents(). Counts outside
// lvm's 32 bits are refused.
TEST(LvmReport, CountsLvmCannotHoldAreAnError) {
  const std::string lv =
      R"({"report":[{"vg":[{"vg_name":"v","vg_extent_size":"4194304","vg_extent_count":"1","vg_free_count":"0"}],
      "lv":[{"lv_uuid":"u","lv_name":"l"}], "seg":[)";
  for (const char* segments : {R"({"lv_uuid":"u","stripes":"1","seg_size_pe":"9223372036854775807","devices":""},
                                  {"lv_uuid":"u","stripes":"1","seg_size_pe":"1","devices":""}]}]})",
                               R"({"lv_uuid":"u","stripes":"1","seg_size_pe":"-5","devices":""}]}]})",
                               R"({"lv_uuid":"u","stripes":"4294967296","seg_size_pe":"1","devices":""}]}]})"}) {
    auto state = ParseLvmFullReport(lv + segments);
    ASSERT_FALSE(state) << segments;
    EXPECT_THAT(state.error().message, HasSubstr("not a count lvm can hold"));
  }
  auto largest = ParseLvmFullReport(lv + R"({"lv_uuid":"u","stripes":"1","seg_size_pe":"4294967295","devices":""},
                                            {"lv_uuid":"u","stripes":"1","seg_size_pe":"4294967295","devices":""}]}]})");
  ASSERT_TRUE(largest) << largest.error().message;
  EXPECT_EQ(largest->vgs[0].lvs[0].extents(), int64_t{2} * 4294967295);
}

TEST(Fstab, OwnedLinesAreRewrittenInPlaceAndNeverDuplicated) {
  const std::string original =
      "UUID=1 / ext4 defaults 0 1\n# nodeboot: vgpaas/dockersys\n"
      "/dev/mapper/vgpaas-dockersys /var/lib/containerd xfs defaults 0 0\n"
      "tmpfs /tmp tmpfs defaults 0 0\n";
  const std::vector<FstabEntry> entries = {
      {"vgpaas/dockersys", "/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2"},
      {"vgpaas/kubernetes", "/dev/mapper/vgpaas-kubernetes /mnt/k ext4 defaults 0 2"}};
  const std::string updated = UpdateFstab(original, entries);
  EXPECT_EQ(updated,
            "UUID=1 / ext4 defaults 0 1\n# nodeboot: vgpaas/dockersys\n/dev/mapper/vgpaas-dockersys "
            "/var/lib/containerd ext4 defaults 0 2\n"
            "tmpfs /tmp tmpfs defaults 0 0\n# nodeboot: vgpaas/kubernetes\n/dev/mapper/vgpaas-kubernetes /mnt/k ext4 "
            "defaults 0 2\n");
  EXPECT_EQ(UpdateFstab(updated, entries), updated);  // idempotent
  EXPECT_EQ(UpdateFstab("", {}), "");
  // An entry the layout no longer has goes with its marker.
  EXPECT_EQ(UpdateFstab(updated, {entries[1]}),
            "UUID=1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs defaults 0 0\n# nodeboot: vgpaas/kubernetes\n"
            "/dev/mapper/vgpaas-kubernetes /mnt/k ext4 defaults 0 2\n");
}

TEST(Fstab, AnOperatorsLineAfterAStaleMarkerIsKept) {
  // The marker is nodeboot's, the line after it is not (its source is not the marked LV).
  const std::string original = "# nodeboot: vgpaas/dockersys\n/dev/sdb1 /srv ext4 defaults 0 2\n";
  const std::vector<FstabEntry> entries = {
      {"vgpaas/dockersys", "/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2"}};
  EXPECT_EQ(UpdateFstab(original, entries),
            "# nodeboot: vgpaas/dockersys\n/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 "
            "defaults 0 2\n/dev/sdb1 /srv ext4 defaults 0 2\n");
  EXPECT_EQ(UpdateFstab(original, {}), "/dev/sdb1 /srv ext4 defaults 0 2\n");
}

TEST(Fstab, ForeignLinesForNodebootsMountPointsAreFound) {
  const std::string fstab =
      "UUID=1 / ext4 defaults 0 1\n"
      "# nodeboot: vgpaas/dockersys\n/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2\n"
      "LABEL=data /var/lib/containerd/ xfs defaults 0 0\n"
      "# /dev/sdc /mnt/paas/kubernetes/kubelet ext4 defaults 0 2\n"
      "/dev/sdd /mnt/my\\040data ext4 defaults 0 2\n"
      "/dev/sde /mnt/other ext4 defaults 0 2\n";
  const auto foreign = ForeignLinesFor(fstab, {"/var/lib/containerd", "/mnt/paas/kubernetes/kubelet", "/mnt/my data"});
  ASSERT_EQ(foreign.size(), 2u);
  EXPECT_EQ(foreign[0].number, 4);  // nodeboot's own line 3 is not foreign; a trailing slash is the same place
  EXPECT_EQ(foreign[0].line, "LABEL=data /var/lib/containerd/ xfs defaults 0 0");
  EXPECT_EQ(foreign[0].mount_point, "/var/lib/containerd");
  EXPECT_EQ(foreign[1].mount_point, "/mnt/my data");  // fstab's \040 is a space
}

TEST(Mountinfo, ParsesAndUnescapes) {
  const auto mounts = ParseMountinfo(
      "22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
      "40 22 253:3 / /mnt/my\\040data rw,relatime - xfs /dev/mapper/vgpaas-user rw,attr2\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[1].devnum, "253:3");
  EXPECT_EQ(mounts[1].mount_point, "/mnt/my data");
  EXPECT_EQ(mounts[1].fs_type, "xfs");
  EXPECT_EQ(mounts[1].source, "/dev/mapper/vgpaas-user");
  EXPECT_THAT(ParseSwaps("Filename Type Size Used Priority\n/dev/vdc1 partition 1048572 0 -2\n"),
              ElementsAre("/dev/vdc1"));
}

}  // namespace
}  // namespace nodeboot::storage
