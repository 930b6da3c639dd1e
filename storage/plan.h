// The storage plan (SPEC §4), a pure function of what was observed: which disks are usable
// and which selector takes each, what each group's VG and LVs must be (exact extent counts),
// and the ordered actions that get there from the current state. Everything that could stop
// the layout (unsatisfiable selectors, unsafe state) is found here, before the first write.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/result.h"
#include "storage/disk.h"
#include "storage/inventory.h"
#include "storage/lvm_report.h"
#include "storage/mountinfo.h"
#include "storage/spec.h"

namespace nodeboot::storage {

// LVM's defaults, which nodeboot relies on when it computes extents before the VG exists
// (and passes explicitly, so a changed lvm.conf cannot move them).
inline constexpr uint64_t kExtentSize = 4ull << 20;  // vgcreate -s 4m
inline constexpr uint64_t kPeStart = 1ull << 20;     // pvcreate --dataalignment 1m: data starts at 1 MiB
inline constexpr std::string_view kTag = "nodeboot";

// Everything the planner needs to know about the host, gathered by observe.cc.
struct Observations {
  std::vector<Disk> disks;
  LvmState lvm;
  std::vector<MountEntry> mounts;
  std::map<std::string, std::string> lv_filesystems;  // dm path -> fs type ("" none)
  std::map<std::string, std::string> lv_devnums;      // dm path -> "253:0"
  std::map<std::string, bool> target_has_content;     // mount point -> non-empty directory
};

struct PlanInput {
  Spec spec;
  Inventory inventory;
  Filesystem filesystem = Filesystem::kExt4;
  bool runtime_is_docker = false;
  // Prefixed to mount points in commands (mkdir, mount, cp) under --root; /etc/fstab keeps the
  // paths as the booted host sees them. Empty for the real root.
  std::string host_prefix;
};

struct PlannedDisk {
  Disk disk;
  DiskAttributes attributes;
  bool usable = false;
  bool adopted = false;     // already a PV of a nodeboot VG of this spec
  std::string reason;       // why not usable
  std::string selector;     // the selector that took it
};

struct PlannedVolume {
  SpaceKind space = SpaceKind::kRuntime;
  std::string lv;
  int64_t extents = 0;
  int stripes = 1;
  std::string mount_point;
  Filesystem filesystem = Filesystem::kExt4;
  std::string dm_path;  // /dev/mapper/<vg>-<lv>
  // What is there now.
  bool exists = false;
  bool active = false;
  std::string current_filesystem;
  bool mounted = false;
  bool copy_content = false;  // the mount target holds files to carry over
};

struct PlannedGroup {
  std::string name;
  std::vector<std::string> devices;
  int64_t extents = 0;
  bool exists = false;
  std::vector<std::string> new_devices;  // for vgextend
  std::vector<PlannedVolume> volumes;
};

struct Action {
  std::vector<std::string> argv;  // a command, or empty for the fstab write
  std::string fstab;              // the whole new /etc/fstab (with the write action)
  std::string why;                // "create VG vgpaas", for logs and the text plan
};

struct Plan {
  std::vector<PlannedDisk> disks;
  std::vector<PlannedGroup> groups;
  std::vector<Action> actions;
};

// The plan, or the Error that stops the storage phase: exit 20 (unsatisfiable) or 21 (unsafe).
// `fstab` is the current /etc/fstab text.
Result<Plan> BuildPlan(const PlanInput& input, const Observations& observed, const std::string& fstab);

// floor(percent x vg_extents / 100 / stripes) x stripes: nodeboot's exact LV size.
int64_t SpaceExtents(int percent, int64_t vg_extents, int stripes);
// Usable extents of a fresh PV on a disk of `size_bytes`.
int64_t PvExtents(uint64_t size_bytes);

std::string DmPath(std::string_view vg, std::string_view lv);

}  // namespace nodeboot::storage
