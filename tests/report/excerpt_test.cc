// The log excerpt: backwards block reading, filtering, limits, and its cost.
#include "agent/report/excerpt.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace nodeboot::report {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ExcerptTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& text) { return dir_.Write("messages", text); }
  // Small blocks, so that lines cross block boundaries everywhere.
  ScanOptions Small(size_t block = 7) {
    ScanOptions options;
    options.block_bytes = block;
    return options;
  }
  testing::TempDir dir_;
};

TEST_F(ExcerptTest, KeepsCloudInitAndNodebootLinesNewestLast) {
  const auto file = Write("a cloud-init 1\nunrelated\nb NODEBOOT 2\nc Cloud-Init 3\nkernel: x\nd nodeboot[7]: 4\n");
  for (size_t block : {1, 3, 7, 64, 65536}) {
    ExcerptStats stats;
    auto lines = TailRelevantLines(file, Small(block), &stats);
    ASSERT_TRUE(lines) << lines.error().message;
    EXPECT_THAT(*lines, ElementsAre("a cloud-init 1", "b NODEBOOT 2", "c Cloud-Init 3", "d nodeboot[7]: 4"))
        << "block " << block;
    EXPECT_EQ(stats.bytes_read, stats.file_bytes);
  }
}

TEST_F(ExcerptTest, FirstLineWithoutNewlineCrLfAndEmptyLines) {
  const auto file = Write("cloud-init first\r\n\n\ncloud-init last");
  auto lines = TailRelevantLines(file, Small(), nullptr);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("cloud-init first", "cloud-init last"));
}

TEST_F(ExcerptTest, StopsAtTheLineLimitWithTheNewestLines) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += fmt::format("cloud-init line {}\n", i);
  const auto file = Write(text);
  ScanOptions options = Small(100);
  options.limits.max_lines = 3;
  ExcerptStats stats;
  auto lines = TailRelevantLines(file, options, &stats);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("cloud-init line 497", "cloud-init line 498", "cloud-init line 499"));
  EXPECT_LE(stats.bytes_read, 100u);
}

TEST_F(ExcerptTest, StopsAtTheByteLimitWithoutGaps) {
  const auto file = Write("cloud-init aaaaaaaa\ncloud-init b\ncloud-init c\n");
  ScanOptions options = Small();
  options.limits.max_bytes = 26;  // "cloud-init c" + "cloud-init b" = 24; the 19-byte line does not fit
  auto lines = TailRelevantLines(file, options, nullptr);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("cloud-init b", "cloud-init c"));
}

TEST_F(ExcerptTest, OverlongLinesAreSkipped) {
  const auto file = Write("cloud-init ok 1\ncloud-init " + std::string(5000, 'x') + "\ncloud-init ok 2\n");
  ScanOptions options = Small(64);
  options.max_line_bytes = 1000;
  auto lines = TailRelevantLines(file, options, nullptr);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("cloud-init ok 1", "cloud-init ok 2"));
}

// Found by tests/fuzz/excerpt_fuzz: a CRLF line exactly at the length limit was skipped when it
// crossed a block boundary (its '\r' counted) and kept when it did not.
TEST_F(ExcerptTest, ACrLfLineAtTheLengthLimitIsKeptWhateverTheBlockSize) {
  const std::string at_limit = "cloud-init " + std::string(9, 'x');  // 20 bytes
  const auto file = Write(at_limit + "\r\n" + at_limit + "y\ncloud-init end\n");
  for (size_t block : {1, 2, 3, 7, 64}) {
    ScanOptions options = Small(block);
    options.max_line_bytes = 20;
    auto lines = TailRelevantLines(file, options, nullptr);
    ASSERT_TRUE(lines);
    EXPECT_THAT(*lines, ElementsAre(at_limit, "cloud-init end")) << "block " << block;
  }
}

TEST_F(ExcerptTest, ReadsOnlyTheTailOfALargeFile) {
  // 64 MiB of hole, then the lines: the cost is the tail, not the file.
  const auto file = dir_.path() / "big";
  {
    std::ofstream out(file);
    out.seekp(64 << 20);
    out << "\n";
    for (int i = 0; i < 300; ++i) {
      out << fmt::format("host cloud-init[1]: {}\nhost kernel: noise\n", i);
    }
  }
  ExcerptStats stats;
  auto lines = TailRelevantLines(file, ScanOptions{}, &stats);
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->size(), 200u);
  EXPECT_EQ(lines->back(), "host cloud-init[1]: 299");
  EXPECT_GT(stats.file_bytes, 64u << 20);
  EXPECT_LE(stats.bytes_read, 64u * 1024);
}

TEST_F(ExcerptTest, AFileWithoutRelevantLinesIsReadOnlyUpToTheScanLimit) {
  const auto file = dir_.path() / "quiet";
  {
    std::ofstream out(file);
    for (int i = 0; i < 20000; ++i) out << "host kernel: nothing to see\n";
  }
  ScanOptions options;
  options.max_scan_bytes = 128 * 1024;
  ExcerptStats stats;
  auto lines = TailRelevantLines(file, options, &stats);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, IsEmpty());
  EXPECT_TRUE(stats.scan_limit_reached);
  EXPECT_EQ(stats.bytes_read, 128u * 1024);
}

TEST_F(ExcerptTest, MissingFileIsAnErrorNamingIt) {
  auto lines = TailRelevantLines(dir_.path() / "nope", ScanOptions{}, nullptr);
  ASSERT_FALSE(lines);
  EXPECT_THAT(lines.error().message, ::testing::HasSubstr("nope"));
}

TEST_F(ExcerptTest, SystemLogPrefersMessagesThenSyslogAndNeverTheJournalOfAnotherRoot) {
  const Paths paths(dir_.path());
  ExcerptStats stats;
  EXPECT_THAT(SystemLogLines(paths, nullptr, {}, &stats), IsEmpty());
  EXPECT_THAT(stats.problem, ::testing::HasSubstr("neither /var/log/messages nor /var/log/syslog"));
  dir_.Write("var/log/syslog", "cloud-init from syslog\n");
  EXPECT_THAT(SystemLogLines(paths, nullptr, {}, &stats), ElementsAre("cloud-init from syslog"));
  dir_.Write("var/log/messages", "cloud-init from messages\n");
  EXPECT_THAT(SystemLogLines(paths, nullptr, {}, &stats), ElementsAre("cloud-init from messages"));
  EXPECT_EQ(stats.source, (dir_.path() / "var/log/messages").string());
}

TEST(LastRelevantLines, FiltersJournalOutput) {
  EXPECT_THAT(LastRelevantLines("x cloud-init 1\ny\nz nodeboot 2\n", {1, 100}), ElementsAre("z nodeboot 2"));
  EXPECT_THAT(LastRelevantLines("cloud-init a\nnodeboot b", {}), ElementsAre("cloud-init a", "nodeboot b"));
}

TEST(ComposeExcerpt, StepOutputFirstWithinHalfTheBudgetThenTheSystemLog) {
  std::vector<std::string> output;
  for (int i = 0; i < 10; ++i) output.push_back(fmt::format("out {}", i));
  const std::vector<std::string> system{"sys 1", "sys 2", "sys 3", "sys 4", "sys 5", "sys 6"};
  EXPECT_THAT(ComposeExcerpt(output, system, {6, 1000}),
              ElementsAre("out 7", "out 8", "out 9", "sys 4", "sys 5", "sys 6"));
  EXPECT_THAT(ComposeExcerpt({"out"}, system, {4, 1000}), ElementsAre("out", "sys 4", "sys 5", "sys 6"));
  EXPECT_THAT(ComposeExcerpt({std::string(100, 'x') + "END"}, {}, {10, 20}), ElementsAre("xxxxxxxEND"));
  const auto all = ComposeExcerpt(std::vector<std::string>(300, "o"), std::vector<std::string>(300, "s"), {});
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(all[99], "o");
  EXPECT_EQ(all[100], "s");
}

}  // namespace
}  // namespace nodeboot::report
