#include "agent/gpu/nvidia_smi.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <regex>

#include "agent/base/text.h"

namespace nodeboot::gpu {
namespace {

const std::string kNvidiaSmi = "nvidia-smi";

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    const size_t begin = at;
    while (at < text.size() && text[at] != ' ' && text[at] != '\t') ++at;
    if (at > begin) words.push_back(text.substr(begin, at - begin));
  }
  return words;
}

std::optional<int> Integer(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// "a, b, c" -> {"a", "b", "c"}; at most `max_fields`, the last one keeps any further commas.
std::vector<std::string_view> CsvFields(std::string_view line, size_t max_fields) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < max_fields) {
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) break;
    fields.push_back(TrimWhitespace(line.substr(0, comma)));
    line.remove_prefix(comma + 1);
  }
  fields.push_back(TrimWhitespace(line));
  return fields;
}

std::optional<MigMode> ParseMode(std::string_view text) {
  if (text == "Enabled") return MigMode::kEnabled;
  if (text == "Disabled") return MigMode::kDisabled;
  // The manual: "MIG mode currently in use - NA/Enabled/Disabled"; CSV output writes it "[N/A]".
  if (text == "[N/A]" || text == "N/A" || text == "[Not Supported]") return MigMode::kNotSupported;
  return std::nullopt;
}

Error Unreadable(std::string_view what, std::string_view line, std::string_view why) {
  return errors::GpuMigResetFailed(fmt::format("cannot read {} line \"{}\": {}", what, line, why));
}

// nvidia-smi's "nothing here" answers to a list: "No GPU instances found: Not Found",
// "No MIG-enabled devices found.", "No devices were found", "No running processes found".
bool IsNothingFound(std::string_view line) {
  return line.starts_with("No ") && line.find(" found") != std::string_view::npos;
}

// The cells of a table row "|   0  MIG 3g.20gb       9        1          4:4     |", or
// nothing for a border ("+----+", "|====|") or a line outside the table.
std::optional<std::vector<std::string_view>> RowWords(std::string_view line) {
  line = TrimWhitespace(line);
  if (line.size() < 2 || line.front() != '|' || line.back() != '|') return std::nullopt;
  return Words(line.substr(1, line.size() - 2));
}

// A table row's profile: "MIG" and the profile's short name ("MIG 3g.20gb"), from `words[at]`.
std::optional<std::string> Profile(const std::vector<std::string_view>& words, size_t at) {
  if (words.size() <= at + 1 || words[at] != "MIG") return std::nullopt;
  return fmt::format("MIG {}", words[at + 1]);
}

// Lines that are neither table nor a "No ... found" answer: something this parser does not
// know, which must not be read as "no instances".
Status CheckLine(std::string_view what, std::string_view line) {
  const std::string_view trimmed = TrimWhitespace(line);
  if (trimmed.empty() || IsNothingFound(trimmed)) return Ok();
  if (trimmed.front() == '|' || trimmed.front() == '+') return Ok();
  return Unreadable(what, trimmed, "not a table row");
}

}  // namespace

std::string_view ToString(MigMode mode) {
  switch (mode) {
    case MigMode::kDisabled:
      return "Disabled";
    case MigMode::kEnabled:
      return "Enabled";
    case MigMode::kNotSupported:
      return "N/A";
  }
  return "?";
}

std::vector<std::string> QueryGpusArgv() {
  // The MIG guide verifies a mode change with `--query-gpu=pci.bus_id,mig.mode.current
  // --format=csv`; the manual documents mig.mode.pending beside it.
  return {kNvidiaSmi, "--query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending", "--format=csv,noheader"};
}
std::vector<std::string> ListGpuInstancesArgv(int gpu) {
  return {kNvidiaSmi, "mig", "-lgi", "-i", std::to_string(gpu)};
}
std::vector<std::string> ListComputeInstancesArgv(int gpu) {
  return {kNvidiaSmi, "mig", "-lci", "-i", std::to_string(gpu)};
}
std::vector<std::string> QueryComputeAppsArgv() {
  return {kNvidiaSmi, "--query-compute-apps=gpu_uuid,pid,process_name", "--format=csv,noheader"};
}
// The guide: "If the intention is to destroy all the CIs and GIs, then this can be accomplished
// with the following commands: sudo nvidia-smi mig -dci && sudo nvidia-smi mig -dgi"; -i keeps
// each to one GPU.
std::vector<std::string> DestroyComputeInstancesArgv(int gpu) {
  return {kNvidiaSmi, "mig", "-dci", "-i", std::to_string(gpu)};
}
std::vector<std::string> DestroyGpuInstancesArgv(int gpu) {
  return {kNvidiaSmi, "mig", "-dgi", "-i", std::to_string(gpu)};
}
// The guide: "MIG mode can be enabled on a per-GPU basis with ... nvidia-smi -i <GPU IDs> -mig 1";
// 0 disables it.
std::vector<std::string> DisableMigArgv(int gpu) { return {kNvidiaSmi, "-i", std::to_string(gpu), "-mig", "0"}; }
// The manual: "-r, --gpu-reset: Trigger a reset of one or more GPUs ... Optional -i switch can be
// used to target one or more specific devices ... There can't be any applications using these
// devices".
std::vector<std::string> ResetGpuArgv(int gpu) { return {kNvidiaSmi, "-r", "-i", std::to_string(gpu)}; }

// `nvidia-smi --query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending
// --format=csv,noheader`, one line per GPU:
//   0, GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0, 00000000:36:00.0, Enabled, Enabled
// A GPU without MIG answers "[N/A], [N/A]"; a host without GPUs "No devices were found".
Result<std::vector<GpuInfo>> ParseGpuQuery(std::string_view csv) {
  std::vector<GpuInfo> gpus;
  for (const std::string_view raw : Lines(csv)) {
    const std::string_view line = TrimWhitespace(raw);
    if (line.empty() || IsNothingFound(line)) continue;
    const auto fields = CsvFields(line, 5);
    if (fields.size() != 5) return Unreadable("nvidia-smi --query-gpu", line, "expected 5 comma-separated fields");
    GpuInfo gpu;
    const auto index = Integer(fields[0]);
    if (!index) return Unreadable("nvidia-smi --query-gpu", line, "the GPU index is not a number");
    gpu.index = *index;
    gpu.uuid = fields[1];
    gpu.bus_id = fields[2];
    const auto current = ParseMode(fields[3]);
    const auto pending = ParseMode(fields[4]);
    if (!current || !pending) {
      return Unreadable("nvidia-smi --query-gpu", line, "a MIG mode is not Enabled, Disabled or [N/A]");
    }
    gpu.current = *current;
    gpu.pending = *pending;
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

// `nvidia-smi mig -lgi` (MIG guide, "Creating GPU Instances"):
//   +----------------------------------------------------+
//   | GPU instances:                                     |
//   | GPU   Name          Profile  Instance   Placement  |
//   |                       ID       ID       Start:Size |
//   |====================================================|
//   |   0  MIG 3g.20gb       9        1          4:4     |
//   +----------------------------------------------------+
Result<std::vector<GpuInstance>> ParseGpuInstances(std::string_view table) {
  std::vector<GpuInstance> instances;
  for (const std::string_view line : Lines(table)) {
    NB_TRY(CheckLine("nvidia-smi mig -lgi", line));
    const auto words = RowWords(line);
    if (!words || words->empty() || !Integer(words->front())) continue;  // title, header, border
    const auto profile = Profile(*words, 1);
    if (!profile || words->size() < 5)
      return Unreadable("nvidia-smi mig -lgi", TrimWhitespace(line),
                        "not GPU, Name, Profile ID, Instance ID, Placement");
    const auto gpu = Integer((*words)[0]);
    const auto profile_id = Integer((*words)[3]);
    const auto id = Integer((*words)[4]);
    if (!profile_id || !id) return Unreadable("nvidia-smi mig -lgi", TrimWhitespace(line), "an ID is not a number");
    instances.push_back({*gpu, *id, *profile_id, *profile, words->size() > 5 ? std::string((*words)[5]) : ""});
  }
  return instances;
}

// `nvidia-smi mig -lci` (MIG guide, "Compute Instances"):
//   | GPU     GPU       Name             Profile   Instance |
//   |       Instance                       ID        ID     |
//   |         ID                                            |
//   |=======================================================|
//   |   0      1       MIG 1c.3g.20gb       0         0     |
// Newer drivers add a Placement column:
//   |   0      1       MIG 3g.20gb          2         0 0:3   |
Result<std::vector<ComputeInstance>> ParseComputeInstances(std::string_view table) {
  std::vector<ComputeInstance> instances;
  for (const std::string_view line : Lines(table)) {
    NB_TRY(CheckLine("nvidia-smi mig -lci", line));
    const auto words = RowWords(line);
    if (!words || words->empty() || !Integer(words->front())) continue;
    const auto profile = Profile(*words, 2);
    if (!profile || words->size() < 6) {
      return Unreadable("nvidia-smi mig -lci", TrimWhitespace(line),
                        "not GPU, GPU Instance ID, Name, Profile ID, Instance ID");
    }
    const auto gpu = Integer((*words)[0]);
    const auto gpu_instance = Integer((*words)[1]);
    const auto profile_id = Integer((*words)[4]);
    const auto id = Integer((*words)[5]);
    if (!gpu_instance || !profile_id || !id) {
      return Unreadable("nvidia-smi mig -lci", TrimWhitespace(line), "an ID is not a number");
    }
    instances.push_back({*gpu, *gpu_instance, *id, *profile_id, *profile});
  }
  return instances;
}

// `nvidia-smi --query-compute-apps=gpu_uuid,pid,process_name --format=csv,noheader`:
//   GPU-a008e90f-259e-df57-7988-63b6831fff68, 5627, /usr/libexec/gnome-remote-desktop-daemon
Result<std::vector<GpuProcess>> ParseComputeApps(std::string_view csv) {
  std::vector<GpuProcess> processes;
  for (const std::string_view raw : Lines(csv)) {
    const std::string_view line = TrimWhitespace(raw);
    if (line.empty() || IsNothingFound(line)) continue;
    const auto fields = CsvFields(line, 3);
    const auto pid = fields.size() == 3 ? Integer(fields[1]) : std::nullopt;
    if (!pid) return Unreadable("nvidia-smi --query-compute-apps", line, "expected GPU UUID, pid, process name");
    processes.push_back({std::string(fields[0]), *pid, std::string(fields[2])});
  }
  return processes;
}

// The MIG guide's examples (Ampere in pass-through, and a GPU a monitoring agent holds):
//   Warning: MIG mode is in pending enable state for GPU 00000000:00:03.0:Not Supported
//   Reboot the system or try nvidia-smi --gpu-reset to make MIG mode effective on GPU
//   00000000:00:03.0 Warning: MIG mode is in pending enable state for GPU 00000000:07:00.0:In use
//   by another client
// and for a disable, as nvidia-smi logged it on a DGX: "Warning: MIG mode is in pending disable
// state for GPU 00000000:07:00.0:Timeout".
std::vector<PendingWarning> ParsePendingWarnings(std::string_view output) {
  static const std::regex kWarning(
      R"(Warning: MIG mode is in pending (enable|disable) state for GPU ([0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f]+):\s*(.*))");
  std::vector<PendingWarning> warnings;
  for (const std::string_view raw : Lines(output)) {
    const std::string line(TrimWhitespace(raw));
    std::smatch match;
    if (!std::regex_search(line, match, kWarning)) continue;
    warnings.push_back({match[2].str(), match[1] == "enable" ? MigMode::kEnabled : MigMode::kDisabled,
                        std::string(TrimWhitespace(match[3].str()))});
  }
  return warnings;
}

bool SaysInUse(std::string_view output) {
  // "Unable to destroy GPU instance ID  5 from GPU  0: In use by another client", the pending
  // warning above, and `nvidia-smi --gpu-reset`'s "Unable to reset GPU 00000000:18:00.0 because
  // it's being used by some other process (e.g. CUDA application)" (older drivers: "Unable to
  // reset this GPU because it's being used by some other process").
  return output.find("In use by another client") != std::string_view::npos ||
         output.find("being used by some other process") != std::string_view::npos;
}

bool SaysResetNotSupported(std::string_view output) {
  // The MIG guide: "$ sudo nvidia-smi --gpu-reset / Resetting GPU 00000000:00:03.0 is not
  // supported."
  static const std::regex kNotSupported(R"(Resetting GPU \S+ is not supported)");
  return std::regex_search(output.begin(), output.end(), kNotSupported);
}

}  // namespace nodeboot::gpu
