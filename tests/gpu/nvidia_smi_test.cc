// The nvidia-smi parsers (agent/gpu/nvidia_smi.h) on text as NVIDIA documents it and as it was
// captured on real hosts. Sources:
//   [guide] MIG User Guide, Getting Started with MIG:
//           https://docs.nvidia.com/datacenter/tesla/mig-user-guide/getting-started-with-mig.html
//   [man]   nvidia-smi(1): https://manpages.ubuntu.com/manpages/plucky/man1/nvidia-smi.1.html
//   [field] output captured by operators and quoted in public notes (RTX PRO 6000, A100, DGX).
#include "agent/gpu/nvidia_smi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nodeboot::gpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(QueryGpus, ReadsIndexUuidBusAndBothModes) {
  // [guide] "pci.bus_id, mig.mode.current / 00000000:36:00.0, Enabled", with index, uuid and
  // the pending mode [man] beside it.
  const auto gpus = ParseGpuQuery(
      "0, GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0, 00000000:36:00.0, Enabled, Enabled\n"
      "1, GPU-a1ea1946-07c0-8ed5-2ba1-d96f82c89cd3, 00000000:61:00.0, Enabled, Disabled\n"
      "2, GPU-8b89b58e-b427-108d-ac00-000000000002, 00000000:01:00.0, Disabled, Enabled\n");
  ASSERT_TRUE(gpus) << gpus.error().message;
  ASSERT_EQ(gpus->size(), 3u);
  EXPECT_EQ((*gpus)[0].index, 0);
  EXPECT_EQ((*gpus)[0].uuid, "GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0");
  EXPECT_EQ((*gpus)[0].bus_id, "00000000:36:00.0");
  EXPECT_EQ((*gpus)[0].current, MigMode::kEnabled);
  EXPECT_EQ((*gpus)[0].pending, MigMode::kEnabled);
  EXPECT_EQ((*gpus)[1].pending, MigMode::kDisabled);
  EXPECT_EQ((*gpus)[2].current, MigMode::kDisabled);
  EXPECT_EQ((*gpus)[2].pending, MigMode::kEnabled);
}

TEST(QueryGpus, AGpuWithoutMigIsNotSupported) {
  // [field] "0, NVIDIA GeForce RTX 4070 Laptop GPU, [N/A], [N/A]"; [man] "NA/Enabled/Disabled".
  const auto gpus = ParseGpuQuery("0, GPU-5e3c0f3e-0000-0000-0000-000000000000, 00000000:01:00.0, [N/A], [N/A]\n");
  ASSERT_TRUE(gpus);
  EXPECT_EQ((*gpus)[0].current, MigMode::kNotSupported);
  EXPECT_EQ((*gpus)[0].pending, MigMode::kNotSupported);
}

TEST(QueryGpus, NoDevicesIsNoGpu) {
  const auto gpus = ParseGpuQuery("No devices were found\n");
  ASSERT_TRUE(gpus);
  EXPECT_TRUE(gpus->empty());
}

TEST(QueryGpus, AnUnknownAnswerIsAnErrorNamingTheLine) {
  const auto header = ParseGpuQuery("index, uuid, pci.bus_id, mig.mode.current, mig.mode.pending\n");
  ASSERT_FALSE(header);
  EXPECT_THAT(header.error().message, HasSubstr("\"index, uuid, pci.bus_id, mig.mode.current, mig.mode.pending\""));
  EXPECT_EQ(header.error().exit_code, 50);
  const auto mode = ParseGpuQuery("0, GPU-x, 00000000:36:00.0, Maybe, Enabled\n");
  ASSERT_FALSE(mode);
  EXPECT_THAT(mode.error().message, HasSubstr("not Enabled, Disabled or [N/A]"));
  EXPECT_FALSE(ParseGpuQuery("0, GPU-x, Enabled\n"));
}

// [guide] `sudo nvidia-smi mig -lgi` after `-cgi 9,3g.20gb -C`.
constexpr std::string_view kTwoGpuInstances =
    "+----------------------------------------------------+\n"
    "| GPU instances:                                     |\n"
    "| GPU   Name          Profile  Instance   Placement  |\n"
    "|                       ID       ID       Start:Size |\n"
    "|====================================================|\n"
    "|   0  MIG 3g.20gb       9        1          4:4     |\n"
    "+----------------------------------------------------+\n"
    "|   0  MIG 3g.20gb       9        2          0:4     |\n"
    "+----------------------------------------------------+\n";

TEST(GpuInstances, ReadsTheGuidesTable) {
  const auto instances = ParseGpuInstances(kTwoGpuInstances);
  ASSERT_TRUE(instances) << instances.error().message;
  ASSERT_EQ(instances->size(), 2u);
  EXPECT_EQ((*instances)[0].gpu, 0);
  EXPECT_EQ((*instances)[0].id, 1);
  EXPECT_EQ((*instances)[0].profile_id, 9);
  EXPECT_EQ((*instances)[0].profile, "MIG 3g.20gb");
  EXPECT_EQ((*instances)[0].placement, "4:4");
  EXPECT_EQ((*instances)[1].id, 2);
  EXPECT_EQ((*instances)[1].placement, "0:4");
}

TEST(GpuInstances, ReadsAMixedGeometry) {
  // [guide] Example 3: a 2-1-1-1-1-1 geometry, IDs of two digits.
  const auto instances = ParseGpuInstances(
      "+----------------------------------------------------+\n"
      "| GPU instances:                                     |\n"
      "| GPU   Name          Profile  Instance   Placement  |\n"
      "|                       ID       ID       Start:Size |\n"
      "|====================================================|\n"
      "|   0  MIG 1g.5gb       19        7          0:1     |\n"
      "+----------------------------------------------------+\n"
      "|   0  MIG 1g.5gb       19       13          6:1     |\n"
      "+----------------------------------------------------+\n"
      "|   0  MIG 2g.10gb      14        5          4:2     |\n"
      "+----------------------------------------------------+\n");
  ASSERT_TRUE(instances);
  ASSERT_EQ(instances->size(), 3u);
  EXPECT_EQ((*instances)[1].id, 13);
  EXPECT_EQ((*instances)[1].profile_id, 19);
  EXPECT_EQ((*instances)[2].profile, "MIG 2g.10gb");
}

TEST(GpuInstances, NothingFoundIsNoInstance) {
  // [field] `nvidia-smi mig -lgi` on an A100 with MIG on and no instance; on a GPU with MIG off.
  for (const char* answer : {"No GPU instances found: Not Found\n", "No MIG-enabled devices found.\n", ""}) {
    const auto instances = ParseGpuInstances(answer);
    ASSERT_TRUE(instances) << answer;
    EXPECT_TRUE(instances->empty()) << answer;
  }
}

TEST(GpuInstances, AnUnknownLineIsAnErrorNotAnEmptyList) {
  const auto failed = ParseGpuInstances("Failed to display GPU instances: Unknown Error\n");
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("Failed to display GPU instances"));
  EXPECT_FALSE(ParseGpuInstances("|   0  MIG 3g.20gb       x        1          4:4     |\n"));
}

TEST(ComputeInstances, ReadsTheGuidesTable) {
  // [guide] `sudo nvidia-smi mig -lci -gi 1` after `-cci 0,0,0 -gi 1`.
  const auto instances = ParseComputeInstances(
      "+-------------------------------------------------------+\n"
      "| Compute instances:                                    |\n"
      "| GPU     GPU       Name             Profile   Instance |\n"
      "|       Instance                       ID        ID     |\n"
      "|         ID                                            |\n"
      "|=======================================================|\n"
      "|   0      1       MIG 1c.3g.20gb       0         0     |\n"
      "+-------------------------------------------------------+\n"
      "|   0      1       MIG 1c.3g.20gb       0         1     |\n"
      "+-------------------------------------------------------+\n"
      "|   0      1       MIG 1c.3g.20gb       0         2     |\n"
      "+-------------------------------------------------------+\n");
  ASSERT_TRUE(instances) << instances.error().message;
  ASSERT_EQ(instances->size(), 3u);
  EXPECT_EQ((*instances)[2].gpu, 0);
  EXPECT_EQ((*instances)[2].gpu_instance, 1);
  EXPECT_EQ((*instances)[2].id, 2);
  EXPECT_EQ((*instances)[2].profile, "MIG 1c.3g.20gb");
}

TEST(ComputeInstances, ReadsTheNewerTableWithPlacement) {
  // [field] a newer driver's -lci adds Start:Size.
  const auto instances = ParseComputeInstances(
      "|====================================================================|\n"
      "|   0      1       MIG 3g.20gb          2         0          0:3     |\n"
      "+--------------------------------------------------------------------+\n");
  ASSERT_TRUE(instances) << instances.error().message;
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_EQ((*instances)[0].profile_id, 2);
  EXPECT_EQ((*instances)[0].id, 0);
}

TEST(ComputeApps, ReadsUuidPidAndName) {
  // [field] `nvidia-smi --query-compute-apps=gpu_uuid,pid,process_name,used_memory
  // --format=csv,noheader,nounits` on two RTX 4080s, without the memory column.
  const auto processes = ParseComputeApps(
      "GPU-a008e90f-259e-df57-7988-63b6831fff68, 5627, /usr/libexec/gnome-remote-desktop-daemon\n"
      "GPU-a008e90f-259e-df57-7988-63b6831fff68, 6374, /usr/NX/bin/nxnode.bin\n");
  ASSERT_TRUE(processes) << processes.error().message;
  ASSERT_EQ(processes->size(), 2u);
  EXPECT_EQ((*processes)[0].gpu_uuid, "GPU-a008e90f-259e-df57-7988-63b6831fff68");
  EXPECT_EQ((*processes)[0].pid, 5627);
  EXPECT_EQ((*processes)[1].name, "/usr/NX/bin/nxnode.bin");
}

TEST(ComputeApps, NoneIsEmpty) {
  for (const char* answer : {"", "\n", "No running processes found\n"}) {
    const auto processes = ParseComputeApps(answer);
    ASSERT_TRUE(processes) << answer;
    EXPECT_TRUE(processes->empty());
  }
  EXPECT_FALSE(ParseComputeApps("GPU-x, not-a-pid, python\n"));
}

TEST(PendingWarnings, ReadsTheGuidesPassThroughExample) {
  // [guide] "GPU Reset on NVIDIA Ampere Architecture GPUs", MIG inside a pass-through VM.
  const auto warnings = ParsePendingWarnings(
      "Warning: MIG mode is in pending enable state for GPU 00000000:00:03.0:Not Supported\n"
      "Reboot the system or try nvidia-smi --gpu-reset to make MIG mode effective on GPU "
      "00000000:00:03.0\n"
      "All done.\n");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].bus_id, "00000000:00:03.0");
  EXPECT_EQ(warnings[0].target, MigMode::kEnabled);
  EXPECT_EQ(warnings[0].reason, "Not Supported");
}

TEST(PendingWarnings, ReadsDriverClientsAndADisableAsLogged) {
  // [guide] "Driver Clients" on a DGX; [field] a disable logged by journald on a DGX.
  const auto in_use = ParsePendingWarnings(
      "Warning: MIG mode is in pending enable state for GPU 00000000:07:00.0:In use by another "
      "client\n"
      "00000000:07:00.0 is currently being used by one or more other processes (e.g. CUDA "
      "application or a "
      "monitoring application such as another instance of nvidia-smi). Please first kill all "
      "processes using the "
      "device and retry the command or reboot the system to make MIG mode effective.\n"
      "All done.\n");
  ASSERT_EQ(in_use.size(), 1u);
  EXPECT_EQ(in_use[0].reason, "In use by another client");
  const auto logged = ParsePendingWarnings(
      "Jan 19 12:30:10 blanka nvidia-smi[4765]: Warning: MIG mode is in pending disable state for "
      "GPU "
      "00000000:07:00.0:Timeout\n"
      "Jan 19 12:30:10 blanka nvidia-smi[4765]: Warning: MIG mode is in pending disable state for "
      "GPU "
      "00000000:0F:00.0:Timeout\n");
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[1].bus_id, "00000000:0F:00.0");
  EXPECT_EQ(logged[1].target, MigMode::kDisabled);
  EXPECT_EQ(logged[1].reason, "Timeout");
  EXPECT_TRUE(ParsePendingWarnings("Disabled MIG Mode for GPU 00000000:36:00.0\nAll done.\n").empty());
}

TEST(Refusals, InUseAndResetNotSupported) {
  // [field] "-dgi before -dci" on an RTX PRO 6000; `--gpu-reset -i 0` under a Python process.
  EXPECT_TRUE(
      SaysInUse("Unable to destroy GPU instance ID  3 from GPU  0: In use by another client\n"
                "Failed to destroy GPU instances: In use by another client\n"));
  EXPECT_TRUE(
      SaysInUse("Unable to reset GPU 00000000:18:00.0 because it's being used by some other process (e.g. "
                "CUDA application). Please first kill all processes using this GPU.\n"
                "Some GPUs could not be reset.\n"));
  EXPECT_FALSE(SaysInUse("GPU 00000000:61:00.0 was successfully reset.\nAll done.\n"));
  // [guide] pass-through: the reset the warning suggests is refused.
  EXPECT_TRUE(SaysResetNotSupported("Resetting GPU 00000000:00:03.0 is not supported.\n"));
  EXPECT_FALSE(SaysResetNotSupported("Some GPUs could not be reset.\n"));
}

TEST(Commands, AreTheDocumentedOnesForOneGpu) {
  EXPECT_THAT(QueryGpusArgv(),
              ElementsAre("nvidia-smi", "--query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending",
                          "--format=csv,noheader"));
  EXPECT_THAT(ListGpuInstancesArgv(1), ElementsAre("nvidia-smi", "mig", "-lgi", "-i", "1"));
  EXPECT_THAT(ListComputeInstancesArgv(1), ElementsAre("nvidia-smi", "mig", "-lci", "-i", "1"));
  EXPECT_THAT(QueryComputeAppsArgv(),
              ElementsAre("nvidia-smi", "--query-compute-apps=gpu_uuid,pid,process_name", "--format=csv,noheader"));
  EXPECT_THAT(DestroyComputeInstancesArgv(2), ElementsAre("nvidia-smi", "mig", "-dci", "-i", "2"));
  EXPECT_THAT(DestroyGpuInstancesArgv(2), ElementsAre("nvidia-smi", "mig", "-dgi", "-i", "2"));
  EXPECT_THAT(DisableMigArgv(2), ElementsAre("nvidia-smi", "-i", "2", "-mig", "0"));
  EXPECT_THAT(ResetGpuArgv(2), ElementsAre("nvidia-smi", "-r", "-i", "2"));
}

}  // namespace
}  // namespace nodeboot::gpu
