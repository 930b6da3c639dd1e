// FakeStorageHost: a node's disks, LVM, filesystems and mounts in memory, behaving toward the
// storage phase as the real commands do (lvm 2.03's vgcreate/lvcreate/lvchange/fullreport,
// mkfs.ext4/mkfs.xfs, mount, umount, cp), including how they fail: mkfs without a force flag
// refuses a device that carries a filesystem, lvcreate refuses to over-allocate, mount refuses a
// half-made filesystem ("Structure needs cleaning"). It is the CommandRunner and the
// SignatureProbe of a run over a temp root whose /sys/block, /proc/self/mountinfo and /etc/fstab
// it keeps in step.
//
// A kill is simulated with `kill_when`: when it matches a command, the command's partial effect
// happens (vgcreate: PV labels without the VG; lvcreate: the LV committed; mkfs: a half-made
// filesystem; anything else: nothing) and Killed is thrown, as a SIGKILL would end nodeboot
// there. The next Reconcile over the same host is the next run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/base/command_runner.h"
#include "storage/signature_probe.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::testing {

struct Killed {
  std::string command;
};

class FakeStorageHost : public CommandRunner, public storage::SignatureProbe {
 public:
  explicit FakeStorageHost(const TempDir& root);

  // A blank disk /dev/NAME in /sys/block.
  void AddDisk(const std::string& name, uint64_t size_bytes, const std::string& serial = "",
               uint64_t optimal_io_bytes = 0);

  Result<CommandResult> Run(const Command& command) override;
  bool HasProgram(const std::string&) override { return true; }
  storage::ProbeResult Probe(const std::string& device) override;
  std::string FilesystemType(const std::string& device) override;

  // Everything a layout is made of, one comparable text: VGs, PVs, LVs, filesystems, mounts.
  std::string Layout() const;

  std::function<bool(const std::vector<std::string>& argv)> kill_when;
  uint64_t pe_start = 1ull << 20;  // where lvm starts a PV's data (lvm.conf's data_alignment)
  std::vector<std::string> log;    // every command, formatted
  int changing_commands = 0;
  int lvm_reads = 0;

  struct Lv {
    std::string name, uuid;
    int64_t extents = 0;
    int stripes = 1;
    std::vector<std::string> devices;
    std::map<std::string, int64_t> used;  // extents taken on each PV
  };
  struct Vg {
    std::string name;
    std::vector<std::string> pvs;
    std::vector<Lv> lvs;
  };
  std::map<std::string, Vg> vgs;
  std::set<std::string> orphan_pvs;
  std::set<std::string> unrecognised;              // disks with bytes no prober names
  std::map<std::string, std::string> filesystems;  // device -> "ext4", "xfs"
  std::set<std::string> half_made;                 // devices whose mkfs was killed
  struct Mount {
    std::string source, target, fs;
  };
  std::vector<Mount> mounts;

 private:
  CommandResult Lvm(const std::vector<std::string>& args, bool killed);
  std::string FullReport() const;
  int64_t PvExtents(const std::string& device) const;
  int64_t FreeOn(const Vg& vg, const std::string& pv) const;
  void WriteMountinfo() const;

  const TempDir& root_;
  std::map<std::string, uint64_t> sizes_;
  int next_uuid_ = 1;
};

}  // namespace nodeboot::testing
