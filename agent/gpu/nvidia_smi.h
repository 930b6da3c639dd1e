// nvidia-smi: the commands the gpu phase runs, and pure parsers of what they print. Nothing here
// starts a process; mig_reset.cc runs the commands through the CommandRunner.
//
// The formats are NVIDIA's, as documented (quoted where each parser is, in nvidia_smi.cc):
//   - MIG User Guide, "Getting Started with MIG"
//     https://docs.nvidia.com/datacenter/tesla/mig-user-guide/getting-started-with-mig.html
//     (`nvidia-smi mig -lgi`, `-lci`, `-dci`, `-dgi`, `-i N -mig 1|0`, the pending-state warnings,
//     "GPU Reset on NVIDIA Ampere Architecture GPUs", "Driver Clients");
//   - the nvidia-smi(1) manual page
//   (https://manpages.ubuntu.com/manpages/plucky/man1/nvidia-smi.1.html):
//     `-r/--gpu-reset`, "MIG mode currently in use - NA/Enabled/Disabled", "Pending configuration
//     of MIG Mode - Enabled/Disabled", and the return codes (6: "A query to find an object was
//     unsuccessful", 9: "NVIDIA driver is not loaded");
//   - NVML nvmlDeviceSetMigMode
//   (https://docs.nvidia.com/deploy/nvml-api/group__nvmlMultiInstanceGPU.html):
//     the change may need a GPU reset; activationStatus NVML_ERROR_IN_USE when the device is not
//     idle, NVML_ERROR_RESET_REQUIRED where only a VM reboot applies it (pass-through).
// nvidia-smi's text is not a stable interface (the manual says so), so every parser takes what
// it knows and says exactly which line it could not read instead of guessing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/base/result.h"

namespace nodeboot::gpu {

// A GPU's MIG mode as --query-gpu prints mig.mode.current / mig.mode.pending: "Enabled",
// "Disabled", or "[N/A]" on a GPU without MIG.
enum class MigMode { kDisabled, kEnabled, kNotSupported };
std::string_view ToString(MigMode mode);

struct GpuInfo {
  int index = 0;
  std::string uuid;    // GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0
  std::string bus_id;  // 00000000:36:00.0, as nvidia-smi's messages name the GPU
  MigMode current = MigMode::kDisabled;
  MigMode pending = MigMode::kDisabled;
};

struct GpuInstance {
  int gpu = 0;
  int id = 0;
  int profile_id = 0;
  std::string profile;    // "MIG 3g.20gb"
  std::string placement;  // "4:4" (start:size)
};

struct ComputeInstance {
  int gpu = 0;
  int gpu_instance = 0;
  int id = 0;
  int profile_id = 0;
  std::string profile;  // "MIG 1c.3g.20gb"
};

struct GpuProcess {
  std::string gpu_uuid;
  int pid = 0;
  std::string name;
};

// The commands (argv). Reads first, then the changes the reset makes, per GPU index.
std::vector<std::string> QueryGpusArgv();
std::vector<std::string> ListGpuInstancesArgv(int gpu);
std::vector<std::string> ListComputeInstancesArgv(int gpu);
std::vector<std::string> QueryComputeAppsArgv();
std::vector<std::string> DestroyComputeInstancesArgv(int gpu);
std::vector<std::string> DestroyGpuInstancesArgv(int gpu);
std::vector<std::string> DisableMigArgv(int gpu);
std::vector<std::string> ResetGpuArgv(int gpu);

// nvidia-smi's return codes (manual page, RETURN VALUE) the phase tells apart.
inline constexpr int kExitNotFound = 6;         // "A query to find an object was unsuccessful"
inline constexpr int kExitDriverNotLoaded = 9;  // "NVIDIA driver is not loaded"

// `QueryGpusArgv()`'s output: one GPU per line. The error names the line it cannot read.
Result<std::vector<GpuInfo>> ParseGpuQuery(std::string_view csv);
// `nvidia-smi mig -lgi` tables; "No GPU instances found..." or "No MIG-enabled devices found."
// is an empty list.
Result<std::vector<GpuInstance>> ParseGpuInstances(std::string_view table);
// `nvidia-smi mig -lci` tables (with or without the Placement column of newer drivers).
Result<std::vector<ComputeInstance>> ParseComputeInstances(std::string_view table);
// `QueryComputeAppsArgv()`'s output; empty, or "No running processes found", is none.
Result<std::vector<GpuProcess>> ParseComputeApps(std::string_view csv);

// "Warning: MIG mode is in pending disable state for GPU 00000000:07:00.0:Timeout": a mode
// change nvidia-smi accepted but could not apply yet, and why.
struct PendingWarning {
  std::string bus_id;
  MigMode target = MigMode::kDisabled;
  std::string reason;  // "In use by another client", "Not Supported", "Timeout", ...
};
std::vector<PendingWarning> ParsePendingWarnings(std::string_view output);

// nvidia-smi refused because something holds the GPU: "In use by another client" (a mode
// change, -dci, -dgi) or "Unable to reset ... because it's being used by some other process".
bool SaysInUse(std::string_view output);
// `nvidia-smi -r` where the platform does not allow a GPU reset: "Resetting GPU
// 00000000:00:03.0 is not supported." (pass-through virtualization; only a reboot helps).
bool SaysResetNotSupported(std::string_view output);

}  // namespace nodeboot::gpu
