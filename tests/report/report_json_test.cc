// The report body (SPEC §7) built from a run summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/report/report.h"

namespace nodeboot::report {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Catalog& TestCatalog() {
  static const Catalog catalog = [] {
    auto parsed = Catalog::Parse(
        "errors:\n"
        "  - {code: NB-STORAGE-UNSAFE-DISK, exitCode: 21, cause: code cause, solution: code "
        "solution}\n"
        "events:\n"
        "  - {code: CLOUD-KEYPAIR-UNAVAILABLE, title: key pair, patterns: ['Ecs\\.0314'], cause: "
        "event cause,"
        " solution: event solution}\n",
        "test");
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return std::move(*parsed);
  }();
  return catalog;
}

RunSummary Failed() {
  RunSummary run;
  run.task_id = "task-4711";
  run.node_name = "worker-1";
  run.instance_id = "i-0abc";
  run.boot_id = "boot-1";
  run.run_id = "run-1";
  run.succeeded = false;
  run.failed_phase = "storage";
  run.exit_code = 21;
  run.error_code = "NB-STORAGE-UNSAFE-DISK";
  run.error_message = "/dev/vdb: ext4 signature, not created by nodeboot";
  run.phases = {{"preInstall", "succeeded", "2026-11-22T10:00:00Z", 812},
                {"storage", "failed", "2026-11-22T10:00:01Z", 5},
                {"join", "not-run", "", 0}};
  run.step_output = {"probing /dev/vdb"};
  run.agent_version = "0.1.0";
  return run;
}

TEST(BuildReport, SuccessHasNoErrorAndNoExcerpt) {
  RunSummary run = Failed();
  run.succeeded = true;
  run.exit_code = 0;
  const json body = BuildReport(run, {"cloud-init x"}, TestCatalog(), ThoroughRedactor());
  EXPECT_EQ(body["status"], "succeeded");
  EXPECT_TRUE(body["phase"].is_null());
  EXPECT_FALSE(body.contains("error"));
  EXPECT_FALSE(body.contains("logExcerpt"));
  std::vector<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.push_back(key);
  EXPECT_THAT(keys, ElementsAre("agentVersion", "exitCode", "node", "phase", "phases", "runId", "status", "taskId"));
}

TEST(BuildReport, FailureMatchesTheSpecExample) {
  const json body = BuildReport(Failed(), {"host cloud-init[1]: ok"}, TestCatalog(), ThoroughRedactor());
  EXPECT_EQ(body["taskId"], "task-4711");
  EXPECT_EQ(body["node"], json({{"name", "worker-1"}, {"instanceId", "i-0abc"}, {"bootId", "boot-1"}}));
  EXPECT_EQ(body["runId"], "run-1");
  EXPECT_EQ(body["status"], "failed");
  EXPECT_EQ(body["phase"], "storage");
  EXPECT_EQ(body["exitCode"], 21);
  EXPECT_EQ(body["error"], json({{"code", "NB-STORAGE-UNSAFE-DISK"},
                                 {"message", "/dev/vdb: ext4 signature, not created by nodeboot"},
                                 {"cause", "code cause"},
                                 {"solution", "code solution"}}));
  EXPECT_EQ(body["phases"][0], json({{"name", "preInstall"},
                                     {"status", "succeeded"},
                                     {"startedAt", "2026-11-22T10:00:00Z"},
                                     {"durationMs", 812}}));
  EXPECT_TRUE(body["phases"][2]["startedAt"].is_null());
  EXPECT_EQ(body["logExcerpt"], json({"probing /dev/vdb", "host cloud-init[1]: ok"}));
  EXPECT_EQ(body["agentVersion"], "0.1.0");
}

TEST(BuildReport, AnEventInTheLogExplainsTheFailure) {
  const json body = BuildReport(Failed(), {"cloud-init: error code : Ecs.0314", "cloud-init: later"}, TestCatalog(),
                                ThoroughRedactor());
  EXPECT_EQ(body["error"]["code"], "NB-STORAGE-UNSAFE-DISK");  // nodeboot's code stays
  EXPECT_EQ(body["error"]["cause"], "event cause");
  EXPECT_EQ(body["error"]["solution"], "event solution");
  EXPECT_EQ(body["error"]["event"], json({{"code", "CLOUD-KEYPAIR-UNAVAILABLE"},
                                          {"title", "key pair"},
                                          {"line", "cloud-init: error code : Ecs.0314"}}));
}

TEST(BuildReport, UnknownCodeSaysSo) {
  RunSummary run = Failed();
  run.error_code = "NB-NEW";
  const json body = BuildReport(run, {}, TestCatalog(), ThoroughRedactor());
  EXPECT_THAT(body["error"]["cause"].get<std::string>(), HasSubstr("NB-NEW is not in the error catalog"));
}

TEST(BuildReport, SecretsAreMaskedEverywhere) {
  RunSummary run = Failed();
  run.error_message = "token s3cr3t-t0ken-v4lue rejected";
  run.step_output = {"s3cr3t-t0ken v4lue", "Ecs.0314 s3cr3t-t0ken-v4lue"};
  const json body =
      BuildReport(run, {"cloud-init s3cr3t-t0ken-v4lue"}, TestCatalog(), ThoroughRedactor({"s3cr3t-t0ken-v4lue"}));
  EXPECT_THAT(body.dump(), ::testing::Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(body["error"]["event"]["line"], "Ecs.0314 ***");
}

TEST(SerializeReport, InvalidUtf8FromALogIsReplacedNotFatal) {
  RunSummary run = Failed();
  run.step_output = {"bad \xff\xfe bytes"};
  const std::string text = SerializeReport(BuildReport(run, {}, TestCatalog(), ThoroughRedactor()));
  EXPECT_THAT(text, HasSubstr("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(Classify, StepOutputBeforeMessageBeforeSystemLog) {
  const auto by_code = Classify(TestCatalog(), "NB-STORAGE-UNSAFE-DISK", {"nothing"});
  EXPECT_FALSE(by_code.by_event);
  EXPECT_EQ(by_code.entry->code, "NB-STORAGE-UNSAFE-DISK");
  const auto none = Classify(TestCatalog(), "NB-UNKNOWN", {});
  EXPECT_EQ(none.entry, nullptr);
}

}  // namespace
}  // namespace nodeboot::report
