// The progress file `nodeboot status` reads to show a run in progress (run/progress.h).
#include "agent/run/progress.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace nodeboot::run {
namespace {

TEST(Progress, FileFollowsThePhaseAndTheStepAndGoesWithTheRun) {
  testing::TempDir dir;
  const auto file = dir.path() / "run/nodeboot/progress.json";
  {
    ProgressFile progress(file, "r-7");
    EXPECT_FALSE(std::filesystem::exists(file));  // nothing to show before the first phase
    progress.StepStarted("blkid");                // a command before any phase is not a step
    EXPECT_FALSE(std::filesystem::exists(file));
    progress.PhaseStarted("storage");
    auto read = ReadProgress(file);
    ASSERT_TRUE(read && *read) << (read ? "" : read.error().message);
    EXPECT_EQ((*read)->run_id, "r-7");
    EXPECT_EQ((*read)->phase, "storage");
    EXPECT_FALSE((*read)->phase_since.empty());
    EXPECT_EQ((*read)->step, "");
    progress.StepStarted("lvcreate -n kubernetes vgpaas");
    read = ReadProgress(file);
    ASSERT_TRUE(read && *read);
    EXPECT_EQ((*read)->step, "lvcreate -n kubernetes vgpaas");
    EXPECT_FALSE((*read)->step_since.empty());
    progress.PhaseStarted("join");  // a new phase has no step yet
    read = ReadProgress(file);
    ASSERT_TRUE(read && *read);
    EXPECT_EQ((*read)->phase, "join");
    EXPECT_EQ((*read)->step, "");
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
  }
  EXPECT_FALSE(std::filesystem::exists(file));  // the run is over
  auto none = ReadProgress(file);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(Progress, ABrokenFileIsAnErrorNotAnEmptyProgress) {
  testing::TempDir dir;
  dir.Write("progress.json", "{\"runId\": \"r\", \"phase\": 3}");
  EXPECT_FALSE(ReadProgress(dir.path() / "progress.json"));
  dir.Write("progress.json", "not json");
  EXPECT_FALSE(ReadProgress(dir.path() / "progress.json"));
  const Progress p{"r", "storage", "2026-12-05T04:00:00Z", "mkfs.ext4 /dev/vgpaas/kubernetes", "2026-12-05T04:00:01Z"};
  auto back = ProgressFromJson(ProgressToJson(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->step, p.step);
  EXPECT_EQ(back->phase_since, p.phase_since);
}

TEST(Progress, StepLineIsMaskedAndShort) {
  Command command;
  command.argv = {"curl", "-H", "Authorization: Bearer s3cr3t", std::string(300, 'x')};
  const std::string line = StepLine(command, Redactor({"s3cr3t"}));
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(line.size(), 160u);
  EXPECT_TRUE(line.ends_with("..."));
}

}  // namespace
}  // namespace nodeboot::run
