#include "storage/legacy_override.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nodeboot::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LegacyOverride, TheSeedsStringIsTheDefaultCceLayout) {
  const auto result =
      ParseLegacyOverride("dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear");
  ASSERT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.spec.groups.size(), 1u);
  const Group& group = result.spec.groups[0];
  EXPECT_EQ(group.name, "vgpaas");
  EXPECT_TRUE(group.cce_managed);
  EXPECT_THAT(group.selector_names, ElementsAre("legacyOverride"));
  ASSERT_EQ(group.spaces.size(), 2u);
  EXPECT_EQ(group.spaces[0].kind, SpaceKind::kRuntime);
  EXPECT_EQ(group.spaces[0].percent, 90);
  EXPECT_EQ(group.spaces[1].kind, SpaceKind::kKubernetes);
  EXPECT_EQ(group.spaces[1].lv_type, LvType::kLinear);
  EXPECT_EQ(result.spec.selectors[0].type, StorageType::kEvs);
  EXPECT_FALSE(result.spec.selectors[0].match.count);  // every disk of the type
}

TEST(LegacyOverride, UserSpaceStripedOnLocalSsd) {
  const auto result = ParseLegacyOverride(
      " dockerThinpool=vgpaas/60%VG ; "
      "kubernetesLV=vgpaas/20%VG;userLV=vgpaas/20%VG;userPath=/data;diskType=ssd;lvType=striped;");
  ASSERT_THAT(result.errors, IsEmpty());
  const auto& spaces = result.spec.groups[0].spaces;
  ASSERT_EQ(spaces.size(), 3u);
  EXPECT_EQ(spaces[2].kind, SpaceKind::kUser);
  EXPECT_EQ(spaces[2].path, "/data");
  for (const auto& space : spaces) EXPECT_EQ(space.lv_type, LvType::kStriped);
  EXPECT_EQ(result.spec.selectors[0].type, StorageType::kLocal);
  EXPECT_EQ(result.spec.selectors[0].match.rotational, false);
  EXPECT_EQ(ParseLegacyOverride("dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=hdd")
                .spec.selectors[0]
                .match.rotational,
            true);
}

TEST(LegacyOverride, EveryProblemIsReportedWithItsKey) {
  struct Case {
    std::string text;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases = {
      {"dockerThinpool=vgpaas/90%VG",
       {"kubernetesLV: required (the vgpaas group needs both the runtime and the kubernetes space)"}},
      {"dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;foo=bar",
       {"foo: unknown key (known: dockerThinpool, kubernetesLV, userLV, userPath, diskType, lvType)"}},
      {"dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;kubernetesLV=vgpaas/5%VG",
       {"kubernetesLV: repeated key"}},
      {"dockerThinpool=vg0/90%VG;kubernetesLV=vgpaas/10%VG",
       {"dockerThinpool: volume group must be \"vgpaas\", got \"vg0\""}},
      {"dockerThinpool=vgpaas/90%FREE;kubernetesLV=vgpaas/10%VG",
       {"dockerThinpool: %FREE is not supported, use a whole percentage of the VG like \"vgpaas/90%VG\""}},
      {"dockerThinpool=vgpaas/90G;kubernetesLV=vgpaas/10%VG",
       {"dockerThinpool: size must be a whole percentage of the VG like \"90%VG\", got \"90G\""}},
      {"dockerThinpool=vgpaas/0%VG;kubernetesLV=vgpaas/101%VG",
       {"dockerThinpool: percentage must be a whole number from 1 to 100, got \"0%VG\"",
        "kubernetesLV: percentage must be a whole number from 1 to 100, got \"101%VG\""}},
      {"dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;lvType=thin",
       {"lvType: must be linear or striped, got \"thin\""}},
      {"dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;userPath=/x", {"userPath: set without userLV"}},
      {"dockerThinpool;kubernetesLV=vgpaas/10%VG",
       {"\"dockerThinpool\": expected key=value",
        "dockerThinpool: required (the vgpaas group needs both the runtime and the kubernetes space)"}},
      {"dockerThinpool=vgpaas90%VG;kubernetesLV=vgpaas/10%VG",
       {"dockerThinpool: expected \"vgpaas/N%VG\", got \"vgpaas90%VG\""}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseLegacyOverride(c.text).errors, c.errors) << c.text;
  }
}

// Caught by tests/fuzz/config_fuzz's "a user space has an absolute path" (on a written input):
// an empty userPath passed, and the config check skips an empty path, so the user LV would
// have been mounted at "" with an fstab line missing its mount point.
TEST(LegacyOverride, AnEmptyUserPathIsAnError) {
  EXPECT_THAT(
      ParseLegacyOverride("dockerThinpool=vgpaas/60%VG;kubernetesLV=vgpaas/20%VG;userLV=vgpaas/20%VG;userPath=").errors,
      ElementsAre("userPath: must be where to mount userLV, got \"\""));
  EXPECT_THAT(
      ParseLegacyOverride("dockerThinpool=vgpaas/60%VG;kubernetesLV=vgpaas/20%VG;userLV=vgpaas/20%VG;userPath= ;")
          .errors,
      ElementsAre("userPath: must be where to mount userLV, got \"\""));
}

}  // namespace
}  // namespace nodeboot::storage
