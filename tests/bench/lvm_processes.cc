// Benchmark (prints figures, asserts nothing): how many processes the storage phase spawns for
// 1, 8, 32 and 64 disks, on a first run and on a re-run of the finished node. It drives the
// real reconcile loop (observe -> plan -> apply, then the verified last pass) over a fake sysfs
// in a temp root, with the FakeStorageHost answering lvm, mkfs and mount as the real ones do.
// Target: lvm processes flat in the number of disks; a re-run spawns one read-only command.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"
#include "agent/base/host_files.h"
#include "storage/reconcile.h"
#include "tests/support/fake_storage_host.h"

namespace nodeboot::storage {
namespace {

struct Counts {
  int lvm = 0, lvm_reads = 0, writes = 0;
};

// Counts the processes of one storage phase on `host` (lvm ones by the log's "lvm " prefix).
Counts Measure(testing::FakeStorageHost& host, const PlanInput& input, const Paths& paths) {
  const size_t first = host.log.size();
  const int writes = host.changing_commands;
  const int reads = host.lvm_reads;
  Lvm lvm(host, false);
  auto files = MakeRealHostFiles(paths);
  IntentLog intents(paths);
  ApplyContext context{paths, host, *files, lvm, host, intents, false};
  if (auto done = Reconcile(input, context); !done) throw std::runtime_error(done.error().message);
  Counts counts;
  for (size_t i = first; i < host.log.size(); ++i) counts.lvm += host.log[i].starts_with("lvm ");
  counts.lvm_reads = host.lvm_reads - reads;
  counts.writes = host.changing_commands - writes;
  return counts;
}

std::pair<Counts, Counts> Measure(int disks) {
  testing::TempDir root;
  testing::FakeStorageHost host(root);
  for (int i = 0; i < disks; ++i) {
    // vda..vdz, then vdaa, vdab, ... as the kernel names them.
    const std::string name =
        i < 26 ? fmt::format("vd{}", char('a' + i)) : fmt::format("vd{}{}", char('a' + i / 26 - 1), char('a' + i % 26));
    host.AddDisk(name, 100ull << 30);
  }
  PlanInput input;
  input.spec.selectors.push_back({"cceUse", StorageType::kEvs, {}});
  input.spec.groups.push_back(
      {"vgpaas",
       true,
       {"cceUse"},
       {{SpaceKind::kRuntime, 90, LvType::kStriped, ""}, {SpaceKind::kKubernetes, 10, LvType::kLinear, ""}}});
  if (disks == 1) input.spec.groups[0].spaces[0].lv_type = LvType::kLinear;
  input.inventory.data_volumes.push_back({"SAS", 100, false, ""});
  input.host_prefix = root.path().string();
  const Paths paths(root.path());
  const Counts first = Measure(host, input, paths);
  const Counts again = Measure(host, input, paths);
  return {first, again};
}

}  // namespace
}  // namespace nodeboot::storage

int main() {
  fmt::print("storage phase, one cceManaged group (runtime 90% striped, kubernetes 10%), 100 GiB disks\n");
  fmt::print("{:>6} | {:>18} {:>12} {:>14} | {:>18} {:>14}\n", "disks", "first run: lvm", "lvm reads", "all changing",
             "re-run: lvm", "all changing");
  for (int disks : {1, 8, 32, 64}) {
    const auto [first, again] = nodeboot::storage::Measure(disks);
    fmt::print("{:>6} | {:>18} {:>12} {:>14} | {:>18} {:>14}\n", disks, first.lvm, first.lvm_reads, first.writes,
               again.lvm, again.writes);
  }
  fmt::print(
      "lvm = 1 fullreport per pass (VGs, LVs, filesystems and mounts, the verifying one) + 1 version (first run only)\n"
      "      + 1 vgcreate per group + 1 lvcreate per space; a re-run is one pass: 1 fullreport\n");
  return 0;
}
