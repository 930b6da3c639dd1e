// Observing mount targets (observe.h's InspectTarget) on a real directory tree under a temp
// root: every component is checked without following links.
#include "storage/observe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

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

}  // namespace
}  // namespace nodeboot::storage
