// The real binary against the golden configs: SPEC §1's `validate` contract, from outside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/config/golden.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using ::testing::HasSubstr;
using testing::RunNodeboot;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Validate, AcceptsEveryValidGoldenConfig) {
  for (const auto& golden : testing::GoldenConfigs("valid")) {
    const auto result = RunNodeboot({"validate", "--config", golden.path.string()});
    EXPECT_EQ(result.exit_code, 0) << golden.path << "\n" << result.out << result.err;
    EXPECT_EQ(result.out, "config OK\n") << golden.path;
  }
}

TEST(Validate, RejectsEveryInvalidGoldenConfigWithFieldPaths) {
  // A field path: segments of names and [indexes], then ": ".
  const std::regex field_line(R"(^[A-Za-z][A-Za-z0-9_./\-]*(\[[0-9]+\])*(\.[^:\s]+(\[[0-9]+\])*)*: .+)");
  for (const auto& golden : testing::GoldenConfigs("invalid")) {
    SCOPED_TRACE(golden.path.filename().string());
    const auto result = RunNodeboot({"validate", "--config", golden.path.string()});
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    const auto lines = Lines(result.out);
    EXPECT_EQ(lines.size(), golden.expected.size()) << result.out;
    for (const auto& expected : golden.expected) EXPECT_THAT(result.out, HasSubstr(expected));
    const bool whole_file = golden.expected.size() == 1 && golden.expected[0].find(": ") == std::string::npos;
    for (const auto& line : lines) {
      if (!whole_file && !line.starts_with("not valid") && !line.starts_with("the config") &&
          !line.starts_with("holds more")) {
        EXPECT_TRUE(std::regex_match(line, field_line)) << "no field path: " << line;
      }
    }
  }
}

TEST(Validate, ErrorsNameTheLine) {
  testing::TempDir dir;
  const auto config = dir.Write("c.yaml", "node:\n  name: ok\nstorage:\n  filesystem: zfs\n");
  const auto result = RunNodeboot({"validate", "--config", config.string()});
  EXPECT_EQ(result.out, "storage.filesystem: must be one of ext4, xfs, got \"zfs\" (line 4)\n");
}

TEST(Validate, MissingDirectoryAndBinaryConfigsGetAClearError) {
  testing::TempDir dir;
  auto missing = RunNodeboot({"validate", "--config", (dir.path() / "nope.yaml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.out, HasSubstr("cannot load the config: read " + (dir.path() / "nope.yaml").string() +
                                     ": No such file or directory"));
  auto directory = RunNodeboot({"validate", "--config", dir.path().string()});
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_THAT(directory.out, HasSubstr("is a directory"));
  auto binary = RunNodeboot({"validate", "--config", dir.Write("b.yaml", std::string("a: \0\x01\x02", 6)).string()});
  EXPECT_EQ(binary.exit_code, 2);
  EXPECT_THAT(binary.out, HasSubstr("NUL byte"));
  auto huge = RunNodeboot({"validate", "--config", dir.Write("h.yaml", std::string(5 << 20, '#')).string()});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_THAT(huge.out, HasSubstr("larger than the limit"));
}

TEST(Validate, DefaultConfigIsUnderTheRoot) {
  testing::TempDir root;
  root.Write("etc/nodeboot/config.yaml", "node: {name: w1}\n");
  // `validate` has no --root in SPEC §1; an explicit --config works, and plan/run take --root.
  auto result = RunNodeboot({"validate", "--config", (root.path() / "etc/nodeboot/config.yaml").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out;
}

TEST(Cli, EveryCommandAnswersHelp) {
  for (const char* command : {"run", "validate", "plan", "status", "report", "logs", "explain", "version"}) {
    const auto result = RunNodeboot({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out, HasSubstr("Usage:")) << command;
  }
  EXPECT_EQ(RunNodeboot({"--help"}).exit_code, 0);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunNodeboot({}).exit_code, 2);
  EXPECT_EQ(RunNodeboot({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunNodeboot({"run", "--only", "nonsense"}).exit_code, 2);
  const auto both = RunNodeboot({"run", "--only", "storage,join", "--skip", "join"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("--skip: join is also in --only: a phase cannot be both run and skipped"));
  EXPECT_EQ(RunNodeboot({"plan", "--output", "xml"}).exit_code, 2);
  EXPECT_EQ(RunNodeboot({"report"}).exit_code, 2);  // --flush is required
}

TEST(Cli, VersionPrintsTheVersion) {
  const auto result = RunNodeboot({"version"});
  EXPECT_EQ(result.exit_code, 0);
  // The version on the first line; then the git description and the libraries, one per line.
  EXPECT_EQ(Lines(result.out).at(0), std::string("nodeboot ") + NODEBOOT_VERSION);
  EXPECT_EQ(RunNodeboot({"--version"}).out, std::string("nodeboot ") + NODEBOOT_VERSION + "\n");
}

}  // namespace
}  // namespace nodeboot
