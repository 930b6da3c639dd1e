// The Prometheus textfile (issue 18.5): the last run rendered in the text exposition format,
// on values (pure), and written atomically with its mode.
#include "agent/run/textfile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::run {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

PhaseRecord Phase(std::string name, PhaseStatus status, std::string started_at, int64_t ms) {
  PhaseRecord phase;
  phase.name = std::move(name);
  phase.status = status;
  phase.started_at = std::move(started_at);
  phase.duration_ms = ms;
  return phase;
}

RunRecord SucceededRun() {
  RunRecord run;
  run.run_id = "r-20261122-100000-ab12";
  run.started_at = "2026-11-22T10:00:00Z";
  run.finished_at = "2026-11-22T10:01:06Z";
  run.duration_ms = 66042;
  run.status = RunStatus::kSucceeded;
  run.phases = {Phase("preInstall", PhaseStatus::kSucceeded, "2026-11-22T10:00:00Z", 1500),
                Phase("storage", PhaseStatus::kSkipped, "", 0),
                Phase("join", PhaseStatus::kSucceeded, "2026-11-22T10:00:02Z", 64000),
                Phase("postInstall", PhaseStatus::kSucceeded, "2026-11-22T10:01:06Z", 7)};
  run.phases[1].reason = "no storage spec";
  run.report = {ReportStatus::kDelivered, "delivered to https://task.example/r (1 attempt)"};
  return run;
}

TEST(TextfileTest, SucceededRunGolden) {
  EXPECT_EQ(
      RenderTextfile(SucceededRun(), "worker-1", "i-0abc"),
      R"(# HELP nodeboot_run_info The last nodeboot run on this node: its id, the instance, the node and the result.
# TYPE nodeboot_run_info gauge
nodeboot_run_info{run_id="r-20261122-100000-ab12",instance_id="i-0abc",node="worker-1",status="succeeded"} 1
# HELP nodeboot_run_success 1 if the last nodeboot run succeeded, else 0 (failed, interrupted, rebooting).
# TYPE nodeboot_run_success gauge
nodeboot_run_success 1
# HELP nodeboot_run_exit_code The exit code of the last nodeboot run (0 success, see SPEC section 2).
# TYPE nodeboot_run_exit_code gauge
nodeboot_run_exit_code 0
# HELP nodeboot_run_last_timestamp_seconds When the last nodeboot run ended, in seconds since the epoch.
# TYPE nodeboot_run_last_timestamp_seconds gauge
nodeboot_run_last_timestamp_seconds 1795341666
# HELP nodeboot_run_duration_seconds How long the last nodeboot run took, in seconds.
# TYPE nodeboot_run_duration_seconds gauge
nodeboot_run_duration_seconds 66.042
# HELP nodeboot_phase_duration_seconds How long each phase that ran in the last nodeboot run took, in seconds.
# TYPE nodeboot_phase_duration_seconds gauge
nodeboot_phase_duration_seconds{phase="preInstall"} 1.5
nodeboot_phase_duration_seconds{phase="join"} 64
nodeboot_phase_duration_seconds{phase="postInstall"} 0.007
# HELP nodeboot_phase_status Each phase of the last nodeboot run, with its status as a label (always 1).
# TYPE nodeboot_phase_status gauge
nodeboot_phase_status{phase="preInstall",status="succeeded"} 1
nodeboot_phase_status{phase="storage",status="skipped"} 1
nodeboot_phase_status{phase="join",status="succeeded"} 1
nodeboot_phase_status{phase="postInstall",status="succeeded"} 1
# HELP nodeboot_report_delivered 1 if the last nodeboot run's report reached the task service, else 0.
# TYPE nodeboot_report_delivered gauge
nodeboot_report_delivered 1
# HELP nodeboot_report_status The last nodeboot run's report, with its status as a label (always 1).
# TYPE nodeboot_report_status gauge
nodeboot_report_status{status="delivered"} 1
)");
}

TEST(TextfileTest, FailedRunGolden) {
  RunRecord run;
  run.run_id = "r-2";
  run.finished_at = "1970-01-01T00:00:00Z";
  run.duration_ms = 250;
  run.status = RunStatus::kFailed;
  run.phases = {Phase("preInstall", PhaseStatus::kFailed, "1970-01-01T00:00:00Z", 250),
                Phase("storage", PhaseStatus::kNotRun, "", 0)};
  run.phases[0].exit_code = 10;
  run.phases[0].error_code = "NB-PREINSTALL-FAILED";
  run.phases[0].error_message = "preInstall exited with 3: token=hunter2";
  run.phases[0].output = {"token=hunter2"};
  run.report = {ReportStatus::kPending, "not delivered: connection refused"};
  const std::string text = RenderTextfile(run, "worker-1", "i-0abc");
  EXPECT_EQ(
      text,
      R"(# HELP nodeboot_run_info The last nodeboot run on this node: its id, the instance, the node and the result.
# TYPE nodeboot_run_info gauge
nodeboot_run_info{run_id="r-2",instance_id="i-0abc",node="worker-1",status="failed"} 1
# HELP nodeboot_run_success 1 if the last nodeboot run succeeded, else 0 (failed, interrupted, rebooting).
# TYPE nodeboot_run_success gauge
nodeboot_run_success 0
# HELP nodeboot_run_exit_code The exit code of the last nodeboot run (0 success, see SPEC section 2).
# TYPE nodeboot_run_exit_code gauge
nodeboot_run_exit_code 10
# HELP nodeboot_run_last_timestamp_seconds When the last nodeboot run ended, in seconds since the epoch.
# TYPE nodeboot_run_last_timestamp_seconds gauge
nodeboot_run_last_timestamp_seconds 0
# HELP nodeboot_run_duration_seconds How long the last nodeboot run took, in seconds.
# TYPE nodeboot_run_duration_seconds gauge
nodeboot_run_duration_seconds 0.25
# HELP nodeboot_phase_duration_seconds How long each phase that ran in the last nodeboot run took, in seconds.
# TYPE nodeboot_phase_duration_seconds gauge
nodeboot_phase_duration_seconds{phase="preInstall"} 0.25
# HELP nodeboot_phase_status Each phase of the last nodeboot run, with its status as a label (always 1).
# TYPE nodeboot_phase_status gauge
nodeboot_phase_status{phase="preInstall",status="failed"} 1
nodeboot_phase_status{phase="storage",status="not-run"} 1
# HELP nodeboot_report_delivered 1 if the last nodeboot run's report reached the task service, else 0.
# TYPE nodeboot_report_delivered gauge
nodeboot_report_delivered 0
# HELP nodeboot_report_status The last nodeboot run's report, with its status as a label (always 1).
# TYPE nodeboot_report_status gauge
nodeboot_report_status{status="pending"} 1
)");
  // No message, output or report detail: only names, statuses and numbers.
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("NB-PREINSTALL-FAILED")));
  EXPECT_THAT(text, Not(HasSubstr("connection refused")));
}

TEST(TextfileTest, StoppedRunHas128PlusSignalAndARunThatDiedHasNoExitCode) {
  RunRecord stopped;
  stopped.run_id = "r-3";
  stopped.status = RunStatus::kInterrupted;
  stopped.stopped_by = 15;
  EXPECT_THAT(RenderTextfile(stopped, "n", "i"), HasSubstr("\nnodeboot_run_exit_code 143\n"));
  RunRecord died = stopped;
  died.stopped_by = 0;
  died.finished_at = "not a time";
  const std::string text = RenderTextfile(died, "n", "i");
  EXPECT_THAT(text, Not(HasSubstr("nodeboot_run_exit_code")));
  EXPECT_THAT(text, Not(HasSubstr("nodeboot_run_last_timestamp_seconds")));
  EXPECT_THAT(text, Not(HasSubstr("nodeboot_phase_")));  // no phases, no empty family
}

TEST(TextfileTest, LabelValuesAreEscapedAndValidUtf8) {
  EXPECT_EQ(EscapeLabelValue("plain-1.2"), "plain-1.2");
  EXPECT_EQ(EscapeLabelValue(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(EscapeLabelValue(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(EscapeLabelValue("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");  // UTF-8 kept
  EXPECT_EQ(EscapeLabelValue("caf\xe9!"), "caf\xEF\xBF\xBD!");                          // Latin-1 is not
  EXPECT_EQ(EscapeLabelValue("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // no surrogates
  EXPECT_EQ(EscapeLabelValue("\xe2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // cut short

  RunRecord run;
  run.run_id = "r-4";
  run.status = RunStatus::kSucceeded;
  const std::string text = RenderTextfile(run, "worker-1", "i-\"odd\"\\\nid");
  EXPECT_THAT(text, HasSubstr(R"(instance_id="i-\"odd\"\\\nid")"));
}

TEST(TextfileTest, EveryLineIsACommentOrASampleOfAValidMetricName) {
  RunRecord run = SucceededRun();
  const std::string text = RenderTextfile(run, "worker-1", "x\"y\nz");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  const std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? [0-9]+(\.[0-9]+)?)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, comment) || std::regex_match(line, sample)) << line;
  }
}

TEST(TextfileTest, WrittenAtomicallyWorldReadableCreatingItsDirectories) {
  testing::TempDir root;
  const Paths paths(root.path());
  ASSERT_TRUE(WriteTextfile(paths, "nodeboot_run_success 1\n"));
  const auto file = root.path() / "var/lib/node_exporter/textfile_collector/nodeboot.prom";
  EXPECT_EQ(testing::Slurp(file), "nodeboot_run_success 1\n");
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_TRUE(WriteTextfile(paths, "nodeboot_run_success 0\n"));
  EXPECT_EQ(testing::Slurp(file), "nodeboot_run_success 0\n");
  // Nothing but the file is left beside it (no temporary the collector could read).
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(file.parent_path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace nodeboot::run
