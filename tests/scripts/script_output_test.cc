// ScriptOutputLog: a script's output is logged line by line up to a budget; past it only the
// last lines are logged, when the script ends, after a line that says how much was left out.
#include "agent/scripts/script_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nodeboot::scripts {
namespace {

using ::testing::ElementsAre;

class ScriptOutputLogTest : public ::testing::Test {
 protected:
  std::vector<std::string> logged_;
  std::function<void(const std::string&)> Log() {
    return [this](const std::string& line) { logged_.push_back(line); };
  }
};

TEST_F(ScriptOutputLogTest, WithinTheBudgetEveryLineIsLoggedAsItComes) {
  ScriptOutputLog log("preInstall", Log(), /*budget_bytes=*/10, /*tail_bytes=*/100);
  log.Add(OutputStream::kStdout, "12345");
  log.Add(OutputStream::kStderr, "67890");
  log.Finish();
  EXPECT_THAT(logged_, ElementsAre("preInstall stdout: 12345", "preInstall stderr: 67890"));
}

TEST_F(ScriptOutputLogTest, PastTheBudgetOnlyTheLastLinesAreLoggedWhenTheScriptEnds) {
  ScriptOutputLog log("postInstall", Log(), /*budget_bytes=*/10, /*tail_bytes=*/30);
  log.Add(OutputStream::kStdout, "aaaa");
  log.Add(OutputStream::kStdout, "bbbb");
  log.Add(OutputStream::kStdout, "cccc");  // 12 bytes: past the budget
  log.Add(OutputStream::kStderr, "dddd");
  log.Add(OutputStream::kStdout, "eeee");
  ASSERT_EQ(logged_.size(), 3u) << "nothing past the budget is logged before the script ends";
  EXPECT_EQ(logged_[2],
            "postInstall: the script printed more than 10 bytes; the rest is not logged line by line, only its last "
            "lines when the script ends");
  log.Finish();
  log.Finish();  // said once
  EXPECT_THAT(logged_, ElementsAre("postInstall stdout: aaaa", "postInstall stdout: bbbb", logged_[2],
                                   "postInstall: 2 lines of output were not logged (3 lines, 12 bytes past the "
                                   "budget); the last 1 follow",
                                   "postInstall stdout: eeee"));
}

// The budget bounds what the log holds whatever the script prints: a million lines log the
// budget, one notice, and a bounded tail.
TEST_F(ScriptOutputLogTest, AMillionLinesLogNoMoreThanTheBudgetAndTheTail) {
  ScriptOutputLog log("preInstall", Log(), /*budget_bytes=*/1000, /*tail_bytes=*/500);
  const std::string line(50, 'x');
  for (int i = 0; i < 1000000; ++i) log.Add(OutputStream::kStdout, line);
  log.Finish();
  size_t script_bytes = 0;
  for (const auto& entry : logged_) {
    if (entry.starts_with("preInstall stdout: ")) script_bytes += entry.size() - 19;
  }
  EXPECT_LE(script_bytes, 1000u + 500u);
  EXPECT_LE(logged_.size(), 20u + 2u + 10u);
}

}  // namespace
}  // namespace nodeboot::scripts
