// `--output json` of validate, explain, logs, report --flush and version (issue 18 item 4), from
// outside: the real binary, its stdout parsed as one JSON document.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunNodeboot;

constexpr std::string_view kCanary = "JSON-CANARY-5150";

// stdout must be exactly one JSON document; a parse failure names the output.
json Parse(const ProcessResult& result) {
  try {
    return json::parse(result.out);
  } catch (const json::exception& e) {
    ADD_FAILURE() << e.what() << "\nstdout: " << result.out << "\nstderr: " << result.err;
    return json();
  }
}

// A root whose config carries kCanary as the task token.
class JsonOutputTest : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& extra = "") {
    root_.Write("etc/nodeboot/config.yaml",
                "node: {name: worker-1, instanceId: i-0abc}\n"
                "task:\n  id: task-1\n  url: https://tasks.example.com/v1/tasks/task-1/result\n"
                "  token: " +
                    std::string(kCanary) + "\n" + extra);
  }
  std::string Config() const { return (root_.path() / "etc/nodeboot/config.yaml").string(); }
  ProcessResult Nodeboot(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root_.path().string()});
    return RunNodeboot(args);
  }

  testing::TempDir root_;
};

TEST_F(JsonOutputTest, ValidateValidConfig) {
  WriteConfig();
  const auto result = RunNodeboot({"validate", "--config", Config(), "--output", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json doc = Parse(result);
  EXPECT_EQ(doc["valid"], true);
  EXPECT_EQ(doc["errors"], json::array());
}

TEST_F(JsonOutputTest, ValidateListsEveryErrorWithPathMessageAndLine) {
  WriteConfig("storage:\n  filesystem: zfs\n");
  const auto result = RunNodeboot({"validate", "--config", Config(), "--output", "json"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  const json doc = Parse(result);
  EXPECT_EQ(doc["valid"], false);
  ASSERT_EQ(doc["errors"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["errors"][0]["path"], "storage.filesystem");
  EXPECT_EQ(doc["errors"][0]["message"], "must be one of ext4, xfs, got \"zfs\"");
  EXPECT_EQ(doc["errors"][0]["line"], 7);
  // The text form is unchanged.
  const auto text = RunNodeboot({"validate", "--config", Config()});
  EXPECT_EQ(text.out, "storage.filesystem: must be one of ext4, xfs, got \"zfs\" (line 7)\n");
}

TEST_F(JsonOutputTest, ValidateErrorWithoutALineHasLineNull) {
  const auto result =
      RunNodeboot({"validate", "--config", (root_.path() / "missing.yaml").string(), "--output", "json"});
  EXPECT_EQ(result.exit_code, 2);
  const json doc = Parse(result);
  EXPECT_EQ(doc["valid"], false);
  ASSERT_FALSE(doc["errors"].empty());
  for (const auto& error : doc["errors"]) {
    EXPECT_TRUE(error.contains("path") && error.contains("message") && error.contains("line"));
  }
}

TEST(JsonOutput, ExplainACodeALineAndNothing) {
  const auto code = RunNodeboot({"explain", "--output", "json", "NB-STORAGE-UNSAFE-DISK"});
  EXPECT_EQ(code.exit_code, 0);
  const json entry = Parse(code);
  EXPECT_EQ(entry["matched"], true);
  EXPECT_EQ(entry["code"], "NB-STORAGE-UNSAFE-DISK");
  EXPECT_EQ(entry["exitCode"], 21);
  for (const char* key : {"title", "cause", "solution"}) {
    EXPECT_TRUE(entry[key].is_string() && !entry[key].get<std::string>().empty()) << key;
  }

  const auto line = RunNodeboot({"explain",
                                 "...call fsp to query keypair fail, error code : Ecs.0314, reason "
                                 "is : the keypair *** ...",
                                 "--output", "json"});
  EXPECT_EQ(line.exit_code, 0);
  const json event = Parse(line);
  EXPECT_EQ(event["matched"], true);
  EXPECT_EQ(event["code"], "CLOUD-KEYPAIR-UNAVAILABLE");
  EXPECT_TRUE(event["exitCode"].is_null());
  EXPECT_TRUE(event.contains("pattern") && event.contains("origin"));

  const auto quoted =
      RunNodeboot({"explain", "--output", "json", "phase storage failed: NB-STORAGE-UNSAFE-DISK /dev/vdb"});
  EXPECT_EQ(quoted.exit_code, 0);
  EXPECT_EQ(Parse(quoted)["code"], "NB-STORAGE-UNSAFE-DISK");

  const auto unknown = RunNodeboot({"explain", "--output", "json", "all is well"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(Parse(unknown), json({{"matched", false}}));
  EXPECT_THAT(unknown.err, HasSubstr("neither a known error code nor a line"));
}

TEST_F(JsonOutputTest, LogsPrintsTheExcerptLinesMasked) {
  WriteConfig();
  root_.Write("var/log/messages",
              "Nov 22 10:00:01 host cloud-init[812]: step 1\n"
              "Nov 22 10:00:02 host cloud-init[812]: token " +
                  std::string(kCanary) +
                  " used\n"
                  "Nov 22 10:00:03 host cloud-init[812]: not UTF-8 \xff here\n");
  const auto text = Nodeboot({"logs"});
  const auto result = Nodeboot({"logs", "--output", "json"});
  EXPECT_EQ(result.exit_code, text.exit_code) << result.err;
  const json doc = Parse(result);
  ASSERT_TRUE(doc["lines"].is_array()) << result.out;
  std::string joined;
  for (const auto& line : doc["lines"]) joined += line.get<std::string>() + "\n";
  std::string expected = text.out;
  // The JSON form replaces bytes that are not UTF-8; the rest is the same excerpt.
  EXPECT_EQ(doc["lines"].size(), static_cast<size_t>(std::count(expected.begin(), expected.end(), '\n')));
  EXPECT_THAT(joined, HasSubstr("step 1"));
  EXPECT_THAT(joined, HasSubstr("token *** used"));
}

TEST_F(JsonOutputTest, ReportFlushCountsAndListsWhatIsAside) {
  WriteConfig();
  const auto empty = Nodeboot({"report", "--flush", "--output", "json"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(Parse(empty), json({{"delivered", 0}, {"refused", 0}, {"waiting", 0}, {"aside", json::array()}}));
  EXPECT_EQ(Nodeboot({"report", "--flush"}).out, "outbox empty: nothing to deliver\n");

  // One waiting, one refused earlier; the config has no task.url: exit 2 as in text form.
  root_.Write("etc/nodeboot/config.yaml", "node: {name: worker-1, instanceId: i-0abc}\n");
  root_.Write("var/lib/nodeboot/outbox/run-waiting.json", R"({"runId":"run-waiting"})");
  root_.Write("var/lib/nodeboot/outbox/run-refused.rejected.json", R"({"runId":"run-refused"})");
  root_.Write("var/lib/nodeboot/outbox/run-refused.rejected.txt", "HTTP 400\n");
  const auto waiting = Nodeboot({"report", "--flush", "--output", "json"});
  EXPECT_EQ(waiting.exit_code, 2) << waiting.err;
  const json doc = Parse(waiting);
  EXPECT_EQ(doc["delivered"], 0);
  EXPECT_EQ(doc["refused"], 0);
  EXPECT_EQ(doc["waiting"], 1);
  ASSERT_EQ(doc["aside"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["aside"][0]["runId"], "run-refused");
  EXPECT_THAT(doc["aside"][0]["reasonFile"].get<std::string>(), HasSubstr("run-refused.rejected.txt"));
  EXPECT_THAT(waiting.err, HasSubstr("no task.url"));
}

TEST(JsonOutput, VersionNamesTheGitDescriptionAndTheLibraries) {
  const auto result = RunNodeboot({"version", "--output", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json doc = Parse(result);
  EXPECT_EQ(doc["version"], NODEBOOT_VERSION);
  EXPECT_TRUE(doc["gitDescription"].is_string() && !doc["gitDescription"].get<std::string>().empty());
  for (const char* library : {"yaml-cpp", "spdlog", "fmt", "nlohmann-json", "CLI11", "boost", "libcurl", "libblkid"}) {
    ASSERT_TRUE(doc["libraries"].contains(library)) << library;
    EXPECT_FALSE(doc["libraries"][library].get<std::string>().empty()) << library;
  }
  EXPECT_EQ(doc["libraries"].size(), 8u);
  // The text form: the version first, then the same facts one per line.
  const auto text = RunNodeboot({"version"});
  EXPECT_THAT(text.out, ::testing::StartsWith(std::string("nodeboot ") + NODEBOOT_VERSION + "\n"));
  EXPECT_THAT(text.out, HasSubstr("git: " + doc["gitDescription"].get<std::string>() + "\n"));
  EXPECT_THAT(text.out, HasSubstr("libblkid: " + doc["libraries"]["libblkid"].get<std::string>() + "\n"));
}

// No secret reaches any JSON form (or its stderr): a token in the config, one in an invalid field,
// and one in the log.
TEST_F(JsonOutputTest, NoSecretInAnyJsonForm) {
  WriteConfig("storage:\n  filesystem: zfs\n");
  root_.Write("var/log/messages", "Nov 22 10:00:02 host x[1]: " + std::string(kCanary) + "\n");
  root_.Write("var/lib/nodeboot/outbox/run-1.json", R"({"runId":"run-1"})");
  std::string everything;
  for (const auto& result :
       {RunNodeboot({"validate", "--config", Config(), "--output", "json"}),
        RunNodeboot({"validate", "--output", "json", "--config",
                     std::string(NODEBOOT_SOURCE_DIR) + "/tests/data/config/invalid/cluster-bad-token.yaml"}),
        // The config is invalid: the flush stops before sending anything, exit 2.
        Nodeboot({"logs", "--output", "json"}), Nodeboot({"report", "--flush", "--output", "json"})}) {
    Parse(result);
    everything += result.out + result.err;
  }
  EXPECT_THAT(everything, HasSubstr("storage.filesystem"));
  EXPECT_THAT(everything, Not(HasSubstr(kCanary)));
  EXPECT_THAT(everything, Not(HasSubstr("Canary-Not.AToken")));
}

}  // namespace
}  // namespace nodeboot
