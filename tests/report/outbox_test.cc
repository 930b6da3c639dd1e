// The outbox: private, atomic, one file per run; delivered removed, refused set aside.
#include "agent/report/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace nodeboot::report {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

unsigned Mode(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

std::vector<std::string> Ids(const std::vector<OutboxItem>& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.run_id);
  return ids;
}

TEST(Outbox, PutIsPrivateAndPendingIsOldestFirst) {
  testing::TempDir dir;
  const Outbox outbox(dir.path() / "var/lib/nodeboot/outbox");
  auto empty = outbox.Pending();
  ASSERT_TRUE(empty);
  EXPECT_THAT(*empty, IsEmpty());
  ASSERT_TRUE(outbox.Put("run-b", "{\"b\":1}"));
  ASSERT_TRUE(outbox.Put("run-a", "{\"a\":1}"));
  // Make run-b clearly older.
  std::filesystem::last_write_time(outbox.dir() / "run-b.json",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  EXPECT_EQ(Mode(outbox.dir()), 0700u);
  EXPECT_EQ(Mode(outbox.dir() / "run-a.json"), 0600u);
  auto pending = outbox.Pending();
  ASSERT_TRUE(pending);
  EXPECT_THAT(Ids(*pending), ElementsAre("run-b", "run-a"));
  EXPECT_EQ((*pending)[1].body, "{\"a\":1}");
}

TEST(Outbox, RemoveAndRejectTakeReportsOutOfPending) {
  testing::TempDir dir;
  const Outbox outbox(dir.path() / "outbox");
  ASSERT_TRUE(outbox.Put("run-1", "{}"));
  ASSERT_TRUE(outbox.Put("run-2", "{}"));
  ASSERT_TRUE(outbox.Remove("run-1"));
  ASSERT_TRUE(outbox.Remove("run-1"));  // already gone: fine
  ASSERT_TRUE(outbox.Reject("run-2", "HTTP 400: missing field"));
  EXPECT_THAT(Ids(*outbox.Pending()), IsEmpty());
  EXPECT_THAT(outbox.Rejected(), ElementsAre("run-2"));
  EXPECT_EQ(testing::Slurp(outbox.dir() / "run-2.rejected.txt"), "HTTP 400: missing field\n");
  EXPECT_EQ(Mode(outbox.dir() / "run-2.rejected.txt"), 0600u);
}

TEST(Outbox, RunIdsCannotNameOtherFiles) {
  testing::TempDir dir;
  const Outbox outbox(dir.path() / "outbox");
  for (const char* id : {"", "../state", "a/b", "x.json"}) EXPECT_FALSE(outbox.Put(id, "{}")) << id;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json"));
}

TEST(Outbox, ExistingDirectoryIsMadePrivate) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "outbox");
  std::filesystem::permissions(dir.path() / "outbox", std::filesystem::perms(0755));
  ASSERT_TRUE(Outbox(dir.path() / "outbox").Put("r", "{}"));
  EXPECT_EQ(Mode(dir.path() / "outbox"), 0700u);
}

}  // namespace
}  // namespace nodeboot::report
