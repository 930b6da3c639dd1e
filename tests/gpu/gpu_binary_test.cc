// The gpu phase in the real binary (SPEC §6a): `nodeboot run --root DIR` with the fake
// nvidia-smi of fake-bin/ on PATH. What a node pool sees: the phase between storage and join, its
// status in state.json and `status`, and the exit codes 0 / 50.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/support/phase_record.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PhaseIn;
using testing::Slurp;

class GpuBinaryTest : public ::testing::Test {
 protected:
  testing::ProcessResult Run(bool with_fake = true) {
    root_.Write("etc/nodeboot/config.yaml",
                "node: {name: worker-1, instanceId: i-0abc}\ngpu: {resetTimeoutSeconds: 60}\n");
    const char* path = std::getenv("PATH");
    std::string search = path ? path : "/usr/bin:/bin";
    if (with_fake) search = std::string(NODEBOOT_SOURCE_DIR) + "/tests/gpu/fake-bin:" + search;
    return testing::RunNodeboot({"run", "--root", root_.path().string(), "--skip", "storage"},
                                {{"PATH", search}, {"NB_FAKE_GPU_DIR", fake_.path().string()}});
  }
  json LastRun() const { return json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json"))["lastRun"]; }

  testing::TempDir root_;
  testing::TempDir fake_;
};

const json kMigGpu = {{"index", 0},
                      {"uuid", "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77"},
                      {"bus", "00000000:36:00.0"},
                      {"mig", true},
                      {"current", "Enabled"},
                      {"pending", "Enabled"},
                      {"gis", {{{"id", 1}, {"profile_id", 9}, {"profile", "3g.20gb"}, {"placement", "4:4"}}}},
                      {"cis", {{{"gi", 1}, {"id", 0}, {"profile_id", 2}, {"profile", "3g.20gb"}}}},
                      {"processes", json::array()},
                      {"disable", "now"},
                      {"reset", "ok"}};

TEST_F(GpuBinaryTest, ACpuOnlyNodeRecordsGpuSkippedNotSucceeded) {
  fake_.Write("state.json", json({{"driver", "loaded"}, {"gpus", json::array()}}).dump());
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json gpu = PhaseIn(LastRun(), "gpu");
  EXPECT_EQ(gpu["status"], "skipped");
  EXPECT_THAT(gpu["reason"].get<std::string>(), HasSubstr("no GPU"));
  // No nvidia-smi at all: skipped, saying so.
  const auto without = Run(/*with_fake=*/false);
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_THAT(PhaseIn(LastRun(), "gpu")["reason"].get<std::string>(), HasSubstr("nvidia-smi"));
  // Asked, not tried: a CPU-only node's log has no failed start of nvidia-smi at error level.
  EXPECT_THAT(without.err, Not(HasSubstr("read: nvidia-smi"))) << "no command was started, none logged";
  EXPECT_THAT(without.err, Not(HasSubstr("error")));
  EXPECT_FALSE(json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json"))["phases"].contains("gpu"));
}

TEST_F(GpuBinaryTest, AKeptMigLayoutIsClearedBeforeTheJoinAndARerunDoesNothing) {
  fake_.Write("state.json", json({{"driver", "loaded"}, {"gpus", {kMigGpu}}}).dump());
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(PhaseIn(LastRun(), "gpu")["status"], "succeeded");
  const json gpus = json::parse(Slurp(fake_.path() / "state.json"))["gpus"];
  EXPECT_EQ(gpus[0]["current"], "Disabled");
  EXPECT_TRUE(gpus[0]["gis"].empty());
  const auto status = testing::RunNodeboot({"status", "--root", root_.path().string()});
  EXPECT_THAT(status.out + status.err, HasSubstr("gpu"));
  // A plain re-run: the phase already succeeded on this instance.
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(PhaseIn(LastRun(), "gpu")["status"], "skipped");
}

TEST_F(GpuBinaryTest, AGpuInUseFailsWithFiftyAndTheJoinDoesNotRun) {
  json gpu = kMigGpu;
  gpu["processes"] = {{{"pid", 4711}, {"name", "/usr/bin/python3"}}};
  fake_.Write("state.json", json({{"driver", "loaded"}, {"gpus", {gpu}}}).dump());
  const auto result = Run();
  EXPECT_EQ(result.exit_code, 50) << result.err;
  const json run = LastRun();
  EXPECT_EQ(PhaseIn(run, "gpu")["status"], "failed");
  EXPECT_EQ(PhaseIn(run, "gpu")["error"]["code"], "NB-GPU-IN-USE");
  EXPECT_THAT(PhaseIn(run, "gpu")["error"]["message"].get<std::string>(), HasSubstr("4711"));
  EXPECT_EQ(PhaseIn(run, "join")["status"], "not-run");
}

}  // namespace
}  // namespace nodeboot
