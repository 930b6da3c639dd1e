// The storage planner (SPEC §4), a pure function of what was observed: which disks are usable
// and which selector takes each, what each group's VG and LVs must be (exact extent counts),
// and the typed steps that lead from the observed state towards that layout. The storage phase
// calls it once per pass of its reconcile loop (reconcile.h); `nodeboot plan` prints one pass.
// Everything that could stop the layout (unsatisfiable selectors, unsafe state, a hostile
// mount target, a foreign fstab line) is found here, before the first write.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/base/result.h"
#include "storage/disk.h"
#include "storage/intent.h"
#include "storage/inventory.h"
#include "storage/lvm_report.h"
#include "storage/mountinfo.h"
#include "storage/spec.h"

namespace nodeboot::storage {

// nodeboot passes the extent size explicitly (vgcreate -s 4m), so a changed lvm.conf cannot
// move it. Where a PV's data starts depends on the disk and lvm.conf (data_alignment,
// optimal_io_size): it is only predicted before the VG exists, and LVs are sized from the VG
// lvm really made (the reconcile loop observes again after vgcreate and vgextend).
inline constexpr uint64_t kExtentSize = 4ull << 20;
inline constexpr uint64_t kPeStart = 1ull << 20;  // lvm's default data alignment
inline constexpr std::string_view kTag = "nodeboot";

// A mount target, inspected without following symbolic links.
struct TargetState {
  std::string refusal;                    // why nodeboot must not mount there ("" fine)
  bool has_content = false;               // an existing, non-empty directory
  std::vector<std::string> mounts_below;  // filesystems mounted under it
};

// Everything the planner needs to know about the host, gathered by observe.cc.
struct Observations {
  std::vector<Disk> disks;
  LvmState lvm;
  std::vector<MountEntry> mounts;
  std::map<std::string, std::string> lv_filesystems;  // dm path -> fs type ("" none)
  std::map<std::string, std::string> lv_devnums;      // dm path -> "253:0"
  // Active LVs (lvm says so) without their /dev/mapper node: a kill inside lvcreate can leave
  // one (signature_probe.h); the plan activates them again.
  std::set<std::string> lv_nodes_missing;
  std::map<std::string, TargetState> targets;  // mount point -> what is there
  std::optional<Intent> intent;                // what a killed run was doing
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
  bool adopted = false;  // already a PV of a nodeboot VG of this spec, or left half-made by one
  std::string reason;    // why not usable, or why a usable disk is not used
  std::string selector;  // the selector that took it
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
  std::string uuid;  // lvm's lv_uuid when it exists
  bool active = false;
  std::string current_filesystem;
  bool mounted = false;
};

struct PlannedGroup {
  std::string name;
  std::vector<std::string> devices;
  int64_t extents = 0;
  bool exists = false;
  bool extents_predicted = false;        // the VG does not exist yet: extents are lvm's expected count
  std::vector<std::string> new_devices;  // for vgcreate / vgextend
  std::vector<PlannedVolume> volumes;
};

enum class StepKind {
  kReleaseStaging,  // unmount a staging mount a killed run left under /run/nodeboot/staging
  kCreateVg,
  kExtendVg,
  kActivateLv,
  kCreateLv,
  kMakeFilesystem,  // mkfs, then the files already in the mount target copied in
  kWriteFstab,
  kMount,  // mkdir, mount
};

struct Step {
  StepKind kind = StepKind::kCreateVg;
  std::string vg;
  std::string lv;
  std::vector<std::string> devices;      // the group's disks (lvm's --devices)
  std::vector<std::string> new_devices;  // the disks vgcreate / vgextend turns into PVs
  int64_t extents = 0;
  int stripes = 1;
  Filesystem filesystem = Filesystem::kExt4;
  std::string device;   // the LV's dm path (mkfs, mount, the staging mount)
  std::string target;   // where it is mounted, with the host prefix (or the stale staging mount)
  std::string staging;  // kMakeFilesystem with a copy: the staging mount point
  bool copy_content = false;
  bool force = false;   // mkfs over nodeboot's own interrupted work (the intent proves it)
  std::string fstab;    // kWriteFstab: the whole new /etc/fstab
  std::string lv_uuid;  // kMakeFilesystem: the LV's lvm uuid, for the intent record
  std::string why;      // "create volume group vgpaas", for logs and the text plan
};

// Steps come in stages - stale staging mounts, VGs, LVs, then filesystems, fstab and mounts -
// and one pass of the reconcile loop carries out one stage: each stage is planned from an
// observation made after the one before it, so LVs are sized from the VG lvm really made and
// filesystems are made on LVs lvm has reported (with their uuid).
int Stage(StepKind kind);

// The commands a step runs, in order; lvm's without the leading "lvm" (the facade adds it).
// kWriteFstab runs none.
std::vector<std::vector<std::string>> Commands(const Step& step);

struct Plan {
  std::vector<PlannedDisk> disks;
  std::vector<PlannedGroup> groups;
  std::vector<Step> steps;
};

// The plan, or the Error that stops the storage phase: exit 20 (unsatisfiable) or 21 (unsafe).
// `fstab` is the current /etc/fstab text.
Result<Plan> BuildPlan(const PlanInput& input, const Observations& observed, const std::string& fstab);

// A plan with no steps left, checked against the same observation: every LV with its exact
// extents, stripes and devices, its filesystem, mounted where it belongs. Exit 22
// (NB-STORAGE-VERIFY-FAILED) naming the first difference.
Status VerifyLayout(const Plan& plan, const Observations& observed);

// floor(percent x vg_extents / 100 / stripes) x stripes: nodeboot's exact LV size.
int64_t SpaceExtents(int percent, int64_t vg_extents, int stripes);
// Usable extents of a fresh PV on a disk of `size_bytes` whose data starts at `data_offset`.
int64_t PvExtents(uint64_t size_bytes, uint64_t data_offset = kPeStart);
// Where lvm will start a new PV's data on `disk`, as far as the disk tells (lvm.conf may still
// differ, which is why LVs are sized from the real VG).
uint64_t PredictedPeStart(const Disk& disk);

}  // namespace nodeboot::storage
