// FakeStorageHost: a node's disks, LVM, filesystems and mounts in memory, behaving toward the
// storage phase as the real commands do (lvm 2.03's vgcreate/lvcreate/lvchange/fullreport,
// mkfs.ext4/mkfs.xfs, mount, umount, cp), including how they fail: mkfs without a force flag
// refuses a device that carries a filesystem, lvcreate refuses to over-allocate, mount refuses a
// half-made filesystem ("Structure needs cleaning"). It is the CommandRunner and the
// SignatureProbe of a run over a temp root whose /sys/block, /proc/self/mountinfo and /etc/fstab
// it keeps in step.
//
// A kill is simulated with `kill_when`: when it matches a command, the command's partial effect
// happens (vgcreate: PV labels without the VG; lvcreate: the LV committed, and as far activated
// as `lvcreate_killed` says; mkfs: a half-made filesystem; anything else: nothing) and Killed is
// thrown, as a SIGKILL would end nodeboot there. The next Reconcile over the same host is the
// next run.
//
// LV activation as lvm 2.03 with udev_rules=0 does it (checked in the VM): lvchange --activate y
// activates an inactive LV and resumes a suspended one, but does not make the missing
// /dev/mapper node of a live LV; vgmknodes makes the nodes of a VG's live LVs. mkfs and mount
// of an LV without its node fail as the real ones do; reading a suspended LV would block, so
// the fake counts it in `blocked_reads` (a test wants 0).
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
  std::string DeviceNumber(const std::string& device) override;

  // How far a killed lvcreate got after lvm committed the LV: not activated; activated but its
  // node not made (libdm makes nodes last); or stopped while the new device was suspended.
  enum class LvcreateKilled { kInactive, kWithoutNode, kSuspended };
  LvcreateKilled lvcreate_killed = LvcreateKilled::kInactive;
  int blocked_reads = 0;

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
    bool active = true;
    bool suspended = false;
    bool node = true;  // /dev/mapper/VG-LV exists
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
  // The LV whose /dev/mapper path is `device`; null for anything else.
  const Lv* LvAt(const std::string& device) const;
  // Why mkfs or mount cannot open an LV's device; "" when it can.
  std::string UnopenableLv(const std::string& device);
  int64_t PvExtents(const std::string& device) const;
  int64_t FreeOn(const Vg& vg, const std::string& pv) const;
  void WriteMountinfo() const;

  const TempDir& root_;
  std::map<std::string, uint64_t> sizes_;
  int next_uuid_ = 1;
};

}  // namespace nodeboot::testing
