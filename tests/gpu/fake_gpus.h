// FakeGpus: a CommandRunner that plays nvidia-smi over GPUs held in memory, with the outputs
// and state changes of tests/gpu/fake-bin/nvidia-smi (which documents its sources), for the
// unit tests of the reset loop. It records every command and its timeout, and can advance a
// fake clock per command or make one command time out.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/base/command_runner.h"

namespace nodeboot::gpu::testing {

struct FakeGpu {
  int index = 0;
  std::string uuid;
  std::string bus;
  bool mig = true;
  std::string current = "Disabled";
  std::string pending = "Disabled";
  struct Gi {
    int id, profile_id;
    std::string profile, placement;
  };
  struct Ci {
    int gi, id, profile_id;
    std::string profile;
  };
  std::vector<Gi> gis;
  std::vector<Ci> cis;
  std::vector<std::pair<int, std::string>> processes;  // pid, name
  std::string disable = "now";                         // or "pending:<reason>"
  std::string reset = "ok";                            // "not-supported", "busy"
};

// A GPU with MIG on and the guide's two 3g.20gb instances, each with one compute instance.
inline FakeGpu MigGpu(int index) {
  FakeGpu gpu;
  gpu.index = index;
  gpu.uuid = fmt::format("GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b{}", index);
  gpu.bus = fmt::format("00000000:{:02X}:00.0", 0x36 + index);
  gpu.current = gpu.pending = "Enabled";
  gpu.gis = {{1, 9, "3g.20gb", "4:4"}, {2, 9, "3g.20gb", "0:4"}};
  gpu.cis = {{1, 0, 2, "3g.20gb"}, {2, 0, 2, "3g.20gb"}};
  return gpu;
}

class FakeGpus : public CommandRunner {
 public:
  std::vector<FakeGpu> gpus;
  bool installed = true;  // false: nvidia-smi is not on PATH
  int query_exit = 0;     // 9: no driver
  std::string times_out;  // a command (as FormatArgv shows it) that never answers
  std::chrono::milliseconds per_command{0};
  std::chrono::steady_clock::time_point clock{};  // the fake time, advanced per command
  std::vector<std::string> commands;
  std::map<std::string, std::chrono::milliseconds> timeouts;  // each command's first timeout

  std::chrono::steady_clock::time_point Now() const { return clock; }

  // The commands that change something.
  std::vector<std::string> Changes() const {
    std::vector<std::string> changes;
    for (const auto& line : commands) {
      if (line.find("--query") == std::string::npos && line.find(" -l") == std::string::npos) changes.push_back(line);
    }
    return changes;
  }

  bool HasProgram(const std::string& program) override { return program != "nvidia-smi" || installed; }

  Result<CommandResult> Run(const Command& command) override {
    const std::string line = FormatArgv(command.argv);
    if (!installed) return Error::Internal("start nvidia-smi: not found in PATH");
    commands.push_back(line);
    timeouts.emplace(line, command.timeout);  // the first call's
    CommandResult result;
    if (line == times_out || per_command > command.timeout) {
      clock += command.timeout;
      result.timed_out = true;
      result.exit_code = 137;
      return result;
    }
    clock += per_command;
    Answer(command.argv, result);
    if (command.on_line) {
      for (size_t at = 0; at < result.out.size();) {
        const size_t end = result.out.find('\n', at);
        command.on_line(OutputStream::kStdout, std::string_view(result.out).substr(at, end - at));
        at = end == std::string::npos ? result.out.size() : end + 1;
      }
    }
    return result;
  }

 private:
  FakeGpu* Gpu(const std::vector<std::string>& argv) {
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "-i") {
        for (auto& gpu : gpus) {
          if (std::to_string(gpu.index) == argv[i + 1]) return &gpu;
        }
      }
    }
    return nullptr;
  }

  static void Say(CommandResult& result, const std::string& text) { result.out += text + "\n"; }

  void Answer(const std::vector<std::string>& argv, CommandResult& result) {
    const std::string& first = argv.at(1);
    if (first.starts_with("--query-gpu=")) {
      if (query_exit != 0) {
        result.exit_code = query_exit;
        Say(result, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
        return;
      }
      if (gpus.empty()) {
        result.exit_code = 6;
        Say(result, "No devices were found");
      }
      for (const auto& gpu : gpus) {
        Say(result, fmt::format("{}, {}, {}, {}, {}", gpu.index, gpu.uuid, gpu.bus, gpu.mig ? gpu.current : "[N/A]",
                                gpu.mig ? gpu.pending : "[N/A]"));
      }
      return;
    }
    if (first.starts_with("--query-compute-apps=")) {
      for (const auto& gpu : gpus) {
        for (const auto& [pid, name] : gpu.processes) Say(result, fmt::format("{}, {}, {}", gpu.uuid, pid, name));
      }
      return;
    }
    FakeGpu* gpu = Gpu(argv);
    if (!gpu) {
      result.exit_code = 6;
      Say(result, "No devices were found");
      return;
    }
    const auto has = [&argv](std::string_view word) {
      for (const auto& arg : argv) {
        if (arg == word) return true;
      }
      return false;
    };
    if (first == "mig") {
      if (gpu->current != "Enabled") {
        result.exit_code = 6;
        Say(result, "No MIG-enabled devices found.");
        return;
      }
      if (has("-lgi")) {
        if (gpu->gis.empty()) {
          result.exit_code = 6;
          Say(result, "No GPU instances found: Not Found");
          return;
        }
        Say(result, "| GPU   Name          Profile  Instance   Placement  |");
        Say(result, "|====================================================|");
        for (const auto& gi : gpu->gis) {
          Say(result, fmt::format("| {:3}  MIG {:<10} {:4} {:8}{:>13}     |", gpu->index, gi.profile, gi.profile_id,
                                  gi.id, gi.placement));
        }
      } else if (has("-lci")) {
        if (gpu->cis.empty()) {
          result.exit_code = 6;
          Say(result, "No compute instances found: Not Found");
          return;
        }
        for (const auto& ci : gpu->cis) {
          Say(result, fmt::format("| {:3} {:6}       MIG {:<13} {:4} {:9}     |", gpu->index, ci.gi, ci.profile,
                                  ci.profile_id, ci.id));
        }
      } else if (has("-dci")) {
        for (const auto& ci : gpu->cis) {
          Say(result, fmt::format("Successfully destroyed compute instance ID {:2} from GPU {:2} "
                                  "GPU instance ID {:2}",
                                  ci.id, gpu->index, ci.gi));
        }
        gpu->cis.clear();
      } else if (has("-dgi")) {
        if (!gpu->cis.empty()) {
          result.exit_code = 255;
          Say(result, fmt::format("Unable to destroy GPU instance ID {:2} from GPU {:2}: In use by another client",
                                  gpu->cis.front().gi, gpu->index));
          return;
        }
        for (const auto& gi : gpu->gis) {
          Say(result, fmt::format("Successfully destroyed GPU instance ID {:2} from GPU {:2}", gi.id, gpu->index));
        }
        gpu->gis.clear();
      }
      return;
    }
    if (has("-mig")) {
      gpu->pending = "Disabled";
      if (gpu->current == "Enabled" && gpu->disable.starts_with("pending:")) {
        Say(result, fmt::format("Warning: MIG mode is in pending disable state for GPU {}:{}", gpu->bus,
                                gpu->disable.substr(8)));
        Say(result, fmt::format("Reboot the system or try nvidia-smi --gpu-reset to make MIG mode "
                                "effective on GPU {}",
                                gpu->bus));
      } else {
        gpu->current = "Disabled";
        Say(result, fmt::format("Disabled MIG Mode for GPU {}", gpu->bus));
      }
      Say(result, "All done.");
      return;
    }
    if (has("-r")) {
      if (gpu->reset == "not-supported") {
        result.exit_code = 3;
        Say(result, fmt::format("Resetting GPU {} is not supported.", gpu->bus));
        return;
      }
      if (gpu->reset == "busy" || !gpu->processes.empty()) {
        result.exit_code = 255;
        Say(result, fmt::format("Unable to reset GPU {} because it's being used by some other process (e.g. CUDA "
                                "application). Please first kill all processes using this GPU.",
                                gpu->bus));
        Say(result, "Some GPUs could not be reset.");
        return;
      }
      gpu->current = gpu->pending;
      Say(result, fmt::format("GPU {} was successfully reset.", gpu->bus));
      Say(result, "All done.");
    }
  }
};

}  // namespace nodeboot::gpu::testing
