// Benchmark (prints figures, asserts nothing): how many processes the storage phase spawns for
// 1, 8, 32 and 64 disks, on a first run and on a re-run of the finished node. It drives the
// real observe -> plan -> apply -> verify code over a fake sysfs in a temp root, with a
// recording CommandRunner that answers `lvm fullreport` with the state the run would leave.
// Target (issue #5): lvm processes = 1 read + groups + spaces (+ verification), flat in the
// number of disks; a re-run spawns only read-only commands.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"
#include "agent/base/host_files.h"
#include "storage/apply.h"
#include "storage/observe.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

class BlankProbe : public SignatureProbe {
 public:
  bool finished = false;
  ProbeResult Probe(const std::string&) override { return {}; }
  std::string FilesystemType(const std::string&) override { return finished ? "ext4" : ""; }
};

// Records every command; answers lvm reads with `report` and everything else with success.
class RecordingRunner : public CommandRunner {
 public:
  std::string report = R"({"report":[]})";
  int lvm = 0, lvm_reads = 0, writes = 0, reads = 0;
  Result<CommandResult> Run(const Command& command) override {
    (command.changes_system ? writes : reads) += 1;
    if (command.argv.front() == "lvm") {
      ++lvm;
      if (!command.changes_system) ++lvm_reads;
    }
    CommandResult result;
    if (command.argv.size() > 1 && command.argv[1] == "fullreport") result.out = report;
    if (command.argv.size() > 1 && command.argv[1] == "version") result.out = "  LVM version:     2.03.16(2)\n";
    return result;
  }
};

// The fullreport of the node once `plan` is in place.
std::string FinishedReport(const Plan& plan) {
  using nlohmann::json;
  json entries = json::array();
  for (const auto& group : plan.groups) {
    json pvs = json::array(), lvs = json::array(), segs = json::array();
    for (const auto& device : group.devices) {
      pvs.push_back({{"pv_name", device}, {"pv_size", "0"}, {"pv_pe_count", std::to_string(group.extents / group.devices.size())}});
    }
    for (const auto& volume : group.volumes) {
      const std::string uuid = group.name + "-" + volume.lv;
      lvs.push_back({{"lv_name", volume.lv}, {"lv_uuid", uuid}, {"lv_tags", "nodeboot"}, {"lv_active", "active"},
                     {"lv_dm_path", volume.dm_path}});
      std::string devices;
      for (int i = 0; i < volume.stripes; ++i) devices += (i ? "," : "") + group.devices[i] + "(0)";
      segs.push_back({{"lv_uuid", uuid}, {"stripes", std::to_string(volume.stripes)},
                      {"seg_size_pe", std::to_string(volume.extents)}, {"devices", devices}});
    }
    entries.push_back({{"vg", {{{"vg_name", group.name}, {"vg_tags", "nodeboot"}, {"vg_extent_size", "4194304"},
                                 {"vg_extent_count", std::to_string(group.extents)}, {"vg_free_count", "0"}}}},
                       {"pv", pvs}, {"lv", lvs}, {"seg", segs}});
  }
  return json{{"report", entries}}.dump();
}

struct Counts {
  int lvm = 0, lvm_reads = 0, writes = 0, reads = 0;
};

std::pair<Counts, Counts> Measure(int disks) {
  testing::TempDir root;
  for (int i = 0; i < disks; ++i) {
    // vda..vdz, then vdaa, vdab, ... as the kernel names them.
    const std::string name = i < 26 ? fmt::format("vd{}", char('a' + i))
                                    : fmt::format("vd{}{}", char('a' + i / 26 - 1), char('a' + i % 26));
    root.Write(fmt::format("sys/block/{}/size", name), std::to_string((100ull << 30) / 512));
    root.Write(fmt::format("sys/block/{}/dev", name), fmt::format("254:{}", i * 16));
  }
  root.Write("proc/self/mountinfo", "");
  PlanInput input;
  input.spec.selectors.push_back({"cceUse", StorageType::kEvs, {}});
  input.spec.groups.push_back({"vgpaas", true, {"cceUse"},
                               {{SpaceKind::kRuntime, 90, LvType::kStriped, ""}, {SpaceKind::kKubernetes, 10, LvType::kLinear, ""}}});
  if (disks == 1) input.spec.groups[0].spaces[0].lv_type = LvType::kLinear;
  input.inventory.data_volumes.push_back({"SAS", 100, false, ""});
  input.host_prefix = root.path().string();
  const Paths paths(root.path());

  auto run = [&](RecordingRunner& runner, BlankProbe& probe) -> Plan {
    Lvm lvm(runner, false);
    auto observed = Observe(paths, lvm, probe, input);
    auto fstab = ReadFile(paths.Host("/etc/fstab"));
    auto plan = BuildPlan(input, *observed, fstab ? *fstab : "");
    if (!plan) throw std::runtime_error(plan.error().message);
    auto files = MakeRealHostFiles(paths);
    ApplyContext context{paths, runner, *files, lvm, probe, false};
    (void)ApplyPlan(*plan, context);
    (void)VerifyPlan(*plan, context);  // reads once; its checks fail against this fake, by design
    return *plan;
  };
  RecordingRunner first_runner;
  BlankProbe first_probe;
  const Plan plan = run(first_runner, first_probe);
  // The finished node: LVM as the plan left it, the LVs mounted.
  std::string mountinfo;
  for (const auto& volume : plan.groups[0].volumes) {
    mountinfo += fmt::format("1 1 253:0 / {} rw - ext4 {} rw\n", volume.mount_point, volume.dm_path);
  }
  root.Write("proc/self/mountinfo", mountinfo);
  RecordingRunner again_runner;
  again_runner.report = FinishedReport(plan);
  BlankProbe again_probe;
  again_probe.finished = true;
  run(again_runner, again_probe);
  return {{first_runner.lvm, first_runner.lvm_reads, first_runner.writes, first_runner.reads},
          {again_runner.lvm, again_runner.lvm_reads, again_runner.writes, again_runner.reads}};
}

}  // namespace
}  // namespace nodeboot::storage

int main() {
  fmt::print("storage phase, one cceManaged group (runtime 90% striped, kubernetes 10%), 100 GiB disks\n");
  fmt::print("{:>6} | {:>18} {:>12} {:>14} | {:>18} {:>14}\n", "disks", "first run: lvm", "lvm reads", "all changing",
             "re-run: lvm", "all changing");
  for (int disks : {1, 8, 32, 64}) {
    const auto [first, again] = nodeboot::storage::Measure(disks);
    fmt::print("{:>6} | {:>18} {:>12} {:>14} | {:>18} {:>14}\n", disks, first.lvm, first.lvm_reads, first.writes, again.lvm,
               again.writes);
  }
  fmt::print("lvm = 1 fullreport + 1 version (first run only) + 1 vgcreate + 1 lvcreate per space + 1 verifying fullreport\n");
  return 0;
}
