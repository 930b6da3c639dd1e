#include "storage/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "storage/fstab.h"

namespace nodeboot::storage {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// vda < vdb < ... < vdz < vdaa: by length, then by name.
bool DiskOrder(const Disk& a, const Disk& b) {
  return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
}

// Stops the layout: what is wrong, and whether it is unsafe (21) or unsatisfiable (20).
struct Problems {
  std::vector<std::string> unsafe;
  std::vector<std::string> unsatisfiable;

  Error ToError() const {
    if (!unsafe.empty()) {
      return Error{"NB-STORAGE-UNSAFE-DISK", fmt::format("{}", fmt::join(unsafe, "; ")), exit_code::kStorageUnsafe};
    }
    return Error{"NB-STORAGE-UNSATISFIABLE", fmt::format("{}", fmt::join(unsatisfiable, "; ")),
                 exit_code::kStorageUnsatisfiable};
  }
  bool empty() const { return unsafe.empty() && unsatisfiable.empty(); }
};

std::set<std::string> GroupNames(const Spec& spec) {
  std::set<std::string> names;
  for (const auto& group : spec.groups) names.insert(group.name);
  return names;
}

// Whether nodeboot may use the disk, and if not, why. A disk that is already a PV of one of
// this spec's VGs, tagged by nodeboot, is adopted: that is the state a previous run left.
void JudgeUsability(PlannedDisk& planned, const LvmState& lvm, const std::set<std::string>& groups) {
  const Disk& disk = planned.disk;
  const LvmPhysicalVolume* pv = lvm.FindPv(disk.device);
  if (pv != nullptr && !pv->vg.empty()) {
    const LvmVolumeGroup* vg = lvm.FindVg(pv->vg);
    if (groups.contains(pv->vg) && vg != nullptr && vg->HasTag(kTag)) {
      planned.usable = planned.adopted = true;
      return;
    }
    planned.reason = fmt::format("is a physical volume of volume group {}{}", pv->vg,
                                 vg != nullptr && vg->HasTag(kTag) ? "" : ", not created by nodeboot");
    return;
  }
  if (disk.holds_root) planned.reason = "holds the root filesystem";
  else if (disk.read_only) planned.reason = "is read-only";
  else if (!disk.mounted_at.empty()) planned.reason = fmt::format("is mounted at {}", disk.mounted_at);
  else if (disk.swap) planned.reason = "is in use as swap";
  else if (!disk.holders.empty()) planned.reason = fmt::format("is in use by {}", fmt::join(disk.holders, ", "));
  else if (!disk.partitions.empty()) planned.reason = fmt::format("has partitions ({})", fmt::join(disk.partitions, ", "));
  else if (pv != nullptr) planned.reason = "is a physical volume in no volume group, not created by nodeboot";
  else if (!disk.probe_error.empty()) planned.reason = fmt::format("cannot be probed ({}), so it is not provably blank", disk.probe_error);
  else if (!disk.signature.empty()) planned.reason = fmt::format("carries a {} signature, not created by nodeboot", disk.signature);
  else if (disk.unrecognised_data) planned.reason = "holds data in its first or last MiB that no prober recognises";
  else if (disk.removable) planned.reason = "is removable";
  else if (disk.size_bytes < 2 * kPeStart + kExtentSize) planned.reason = "is too small for a physical volume";
  planned.usable = planned.reason.empty();
}

bool Matches(const Selector& selector, const PlannedDisk& planned) {
  const DiskAttributes& attributes = planned.attributes;
  if (selector.type == StorageType::kLocal) {
    if (attributes.kind != "local") return false;
    return !selector.match.rotational || *selector.match.rotational == planned.disk.rotational;
  }
  if (attributes.kind != "evs") return false;
  const MatchLabels& match = selector.match;
  if (match.size_gib && static_cast<uint64_t>(*match.size_gib) << 30 != planned.disk.size_bytes) return false;
  if (match.volume_type && Lower(*match.volume_type) != Lower(attributes.volume_type)) return false;
  if (match.encrypted && *match.encrypted != attributes.encrypted.value_or(false)) return false;
  if (match.cmk_id && *match.cmk_id != attributes.cmk_id) return false;
  return true;
}

// SPEC §4: selectors in order, each taking the usable matching disks no earlier selector
// took, at most `count`.
void Select(const Spec& spec, std::vector<PlannedDisk>& disks) {
  for (const auto& selector : spec.selectors) {
    int taken = 0;
    for (auto& planned : disks) {
      if (selector.match.count && taken >= *selector.match.count) break;
      if (!planned.usable || !planned.selector.empty() || !Matches(selector, planned)) continue;
      planned.selector = selector.name;
      ++taken;
    }
  }
}

std::string MountPoint(const VirtualSpace& space, bool runtime_is_docker) {
  switch (space.kind) {
    case SpaceKind::kRuntime: return std::string(RuntimeMountPoint(runtime_is_docker));
    case SpaceKind::kKubernetes: return std::string(kKubeletMountPoint);
    case SpaceKind::kUser: return space.path;
  }
  return "";
}

const MountEntry* MountAt(const std::vector<MountEntry>& mounts, const std::string& point) {
  const MountEntry* found = nullptr;
  for (const auto& mount : mounts) {
    if (mount.mount_point == point) found = &mount;  // the last one is on top
  }
  return found;
}

std::vector<std::string> WithDevices(std::vector<std::string> argv, const std::vector<std::string>& devices) {
  // Limit what lvm looks at to the group's own disks (lvm >= 2.03.12); the facade drops the
  // option for an older lvm.
  argv.push_back("--devices");
  argv.push_back(fmt::format("{}", fmt::join(devices, ",")));
  return argv;
}

}  // namespace

int64_t SpaceExtents(int percent, int64_t vg_extents, int stripes) {
  if (stripes < 1) stripes = 1;
  return static_cast<int64_t>(percent) * vg_extents / 100 / stripes * stripes;
}

int64_t PvExtents(uint64_t size_bytes) {
  return size_bytes <= kPeStart ? 0 : static_cast<int64_t>((size_bytes - kPeStart) / kExtentSize);
}

std::string DmPath(std::string_view vg, std::string_view lv) {
  // device-mapper doubles every '-' inside the VG and LV names.
  auto escape = [](std::string_view name) {
    std::string out;
    for (char c : name) {
      out.push_back(c);
      if (c == '-') out.push_back('-');
    }
    return out;
  };
  return fmt::format("/dev/mapper/{}-{}", escape(vg), escape(lv));
}

Result<Plan> BuildPlan(const PlanInput& input, const Observations& observed, const std::string& fstab) {
  Plan plan;
  Problems problems;
  const std::set<std::string> group_names = GroupNames(input.spec);

  std::vector<Disk> disks = observed.disks;
  std::sort(disks.begin(), disks.end(), DiskOrder);
  for (const auto& disk : disks) {
    PlannedDisk planned{disk, Classify(disk, input.inventory), false, false, "", ""};
    JudgeUsability(planned, observed.lvm, group_names);
    plan.disks.push_back(std::move(planned));
  }
  Select(input.spec, plan.disks);

  std::vector<FstabEntry> fstab_entries;
  for (const auto& group : input.spec.groups) {
    PlannedGroup planned{group.name, {}, 0, false, {}, {}};
    std::vector<const PlannedDisk*> members;
    for (const auto& disk : plan.disks) {
      if (std::find(group.selector_names.begin(), group.selector_names.end(), disk.selector) != group.selector_names.end()) {
        members.push_back(&disk);
        planned.devices.push_back(disk.disk.device);
      }
    }
    if (members.empty()) {
      // A matching disk that holds data is the real story: say which and what (exit 21).
      std::vector<std::string> refused;
      for (const auto& disk : plan.disks) {
        if (disk.usable || disk.disk.holds_root) continue;
        for (const auto& selector : input.spec.selectors) {
          if (std::find(group.selector_names.begin(), group.selector_names.end(), selector.name) != group.selector_names.end() &&
              Matches(selector, disk)) {
            refused.push_back(fmt::format("{} {}", disk.disk.device, disk.reason));
            break;
          }
        }
      }
      if (!refused.empty()) {
        problems.unsafe.push_back(fmt::format("group {}: no usable disk: {}", group.name, fmt::join(refused, "; ")));
      } else {
        problems.unsatisfiable.push_back(fmt::format("group {}: no usable disk matches its selectors ({})", group.name,
                                                     fmt::join(group.selector_names, ", ")));
      }
      continue;
    }

    const LvmVolumeGroup* vg = observed.lvm.FindVg(group.name);
    if (vg != nullptr && !vg->HasTag(kTag)) {
      problems.unsafe.push_back(fmt::format("volume group {} exists and was not created by nodeboot (no '{}' tag)", group.name, kTag));
      continue;
    }
    planned.exists = vg != nullptr;
    if (vg != nullptr) {
      for (const auto& device : planned.devices) {
        const bool in_vg = std::any_of(vg->pvs.begin(), vg->pvs.end(), [&](const auto& pv) { return pv.name == device; });
        if (!in_vg) planned.new_devices.push_back(device);
      }
      if (!planned.new_devices.empty() && !vg->lvs.empty()) {
        problems.unsafe.push_back(fmt::format("volume group {} already has logical volumes; not extending it with {} "
                                              "(its spaces were sized for its current disks)",
                                              group.name, fmt::join(planned.new_devices, ", ")));
        continue;
      }
      for (const auto& pv : vg->pvs) {
        if (std::find(planned.devices.begin(), planned.devices.end(), pv.name) == planned.devices.end()) {
          planned.devices.push_back(pv.name);  // a PV the selectors no longer pick stays in the VG
        }
      }
    }
    // Extents: the VG's own count once it exists, else what vgcreate will make of the disks.
    std::vector<int64_t> pv_extents;
    for (const auto& device : planned.devices) {
      const LvmPhysicalVolume* pv = observed.lvm.FindPv(device);
      if (pv != nullptr && vg != nullptr && pv->vg == vg->name) {
        pv_extents.push_back(pv->extents);
      } else {
        const auto it = std::find_if(plan.disks.begin(), plan.disks.end(), [&](const auto& d) { return d.disk.device == device; });
        pv_extents.push_back(it == plan.disks.end() ? 0 : PvExtents(it->disk.size_bytes));
      }
    }
    planned.extents = 0;
    for (int64_t extents : pv_extents) planned.extents += extents;
    if (vg != nullptr && planned.new_devices.empty()) planned.extents = vg->extent_count;

    const int stripes = static_cast<int>(planned.devices.size());
    bool group_ok = true;
    for (const auto& space : group.spaces) {
      if (space.lv_type != LvType::kStriped) continue;
      if (stripes < 2) {
        problems.unsatisfiable.push_back(fmt::format("group {}: the striped {} space needs at least 2 disks, the selectors found {}",
                                                     group.name, Name(space.kind), stripes));
        group_ok = false;
      } else if (std::adjacent_find(pv_extents.begin(), pv_extents.end(), std::not_equal_to<>()) != pv_extents.end()) {
        problems.unsatisfiable.push_back(fmt::format("group {}: the striped {} space needs disks of equal size, got {}",
                                                     group.name, Name(space.kind), fmt::join(planned.devices, ", ")));
        group_ok = false;
      }
    }
    if (!group_ok) continue;

    // Striped LVs first: each needs its share free on every PV, which a linear LV allocated
    // before it (from the first PV) could take away.
    std::vector<VirtualSpace> ordered = group.spaces;
    std::stable_partition(ordered.begin(), ordered.end(), [](const auto& s) { return s.lv_type == LvType::kStriped; });
    for (const auto& space : ordered) {
      PlannedVolume volume;
      volume.space = space.kind;
      volume.lv = std::string(LogicalVolumeName(space.kind));
      volume.stripes = space.lv_type == LvType::kStriped ? stripes : 1;
      volume.extents = SpaceExtents(space.percent, planned.extents, volume.stripes);
      volume.mount_point = MountPoint(space, input.runtime_is_docker);
      volume.filesystem = input.filesystem;
      volume.dm_path = DmPath(group.name, volume.lv);
      if (volume.extents < 1) {
        problems.unsatisfiable.push_back(fmt::format("group {}: {}% of {} extents leaves the {} space empty", group.name,
                                                     space.percent, planned.extents, Name(space.kind)));
        continue;
      }
      const LvmLogicalVolume* lv = vg != nullptr ? vg->FindLv(volume.lv) : nullptr;
      if (lv != nullptr) {
        volume.exists = true;
        volume.active = lv->active;
        if (lv->extents() != volume.extents || lv->stripes() != volume.stripes) {
          problems.unsafe.push_back(fmt::format("{}/{} exists with {} extents and {} stripe(s), the plan says {} and {}; "
                                                "nodeboot does not resize a volume that may hold data",
                                                group.name, volume.lv, lv->extents(), lv->stripes(), volume.extents, volume.stripes));
          continue;
        }
        if (auto it = observed.lv_filesystems.find(volume.dm_path); it != observed.lv_filesystems.end()) {
          volume.current_filesystem = it->second;
        }
        if (!volume.current_filesystem.empty() && volume.current_filesystem != Name(volume.filesystem)) {
          problems.unsafe.push_back(fmt::format("{} carries {}, not the {} the plan expects; it is not re-made",
                                                volume.dm_path, volume.current_filesystem, Name(volume.filesystem)));
          continue;
        }
      }
      if (const MountEntry* mount = MountAt(observed.mounts, volume.mount_point)) {
        const auto devnum = observed.lv_devnums.find(volume.dm_path);
        const bool ours = mount->source == volume.dm_path ||
                          (devnum != observed.lv_devnums.end() && devnum->second == mount->devnum);
        if (ours) {
          volume.mounted = true;
        } else if (mount->mount_point != "/") {
          problems.unsafe.push_back(fmt::format("{} is already a mount point of {} ({})", volume.mount_point, mount->source,
                                                mount->fs_type));
          continue;
        }
      }
      if (!volume.mounted) {
        auto content = observed.target_has_content.find(volume.mount_point);
        volume.copy_content = content != observed.target_has_content.end() && content->second;
      }
      fstab_entries.push_back({fmt::format("{}/{}", group.name, volume.lv),
                               fmt::format("{} {} {} defaults 0 {}", volume.dm_path, volume.mount_point,
                                           Name(volume.filesystem), volume.filesystem == Filesystem::kExt4 ? 2 : 0)});
      planned.volumes.push_back(std::move(volume));
    }
    plan.groups.push_back(std::move(planned));
  }
  if (!problems.empty()) return problems.ToError();

  // The actions, in order: VGs, LVs (striped first), filesystems, fstab, mounts.
  for (const auto& group : plan.groups) {
    if (!group.exists) {
      std::vector<std::string> argv{"vgcreate", "--addtag", std::string(kTag), "--physicalextentsize", "4m", group.name};
      argv.insert(argv.end(), group.devices.begin(), group.devices.end());
      plan.actions.push_back({WithDevices(argv, group.devices), "", fmt::format("create volume group {}", group.name)});
    } else if (!group.new_devices.empty()) {
      std::vector<std::string> argv{"vgextend", group.name};
      argv.insert(argv.end(), group.new_devices.begin(), group.new_devices.end());
      plan.actions.push_back({WithDevices(argv, group.devices), "", fmt::format("extend volume group {}", group.name)});
    }
    for (const auto& volume : group.volumes) {
      if (volume.exists && !volume.active) {
        plan.actions.push_back({WithDevices({"lvchange", "--activate", "y", group.name + "/" + volume.lv}, group.devices), "",
                                fmt::format("activate {}/{}", group.name, volume.lv)});
      }
      if (volume.exists) continue;
      std::vector<std::string> argv{"lvcreate", "--addtag", std::string(kTag), "--name", volume.lv,
                                    "--extents", std::to_string(volume.extents)};
      if (volume.stripes > 1) {
        argv.push_back("--stripes");
        argv.push_back(std::to_string(volume.stripes));
      }
      argv.push_back(group.name);
      plan.actions.push_back({WithDevices(argv, group.devices), "",
                              fmt::format("create {}/{} ({} extents, {} stripe(s))", group.name, volume.lv, volume.extents, volume.stripes)});
    }
  }
  for (const auto& group : plan.groups) {
    for (const auto& volume : group.volumes) {
      if (!volume.current_filesystem.empty()) continue;
      plan.actions.push_back({{volume.filesystem == Filesystem::kXfs ? "mkfs.xfs" : "mkfs.ext4", "-q", volume.dm_path}, "",
                              fmt::format("make {} on {}/{}", Name(volume.filesystem), group.name, volume.lv)});
    }
  }
  const std::string new_fstab = UpdateFstab(fstab, fstab_entries);
  if (new_fstab != fstab) plan.actions.push_back({{}, new_fstab, "write nodeboot's lines in /etc/fstab"});
  for (const auto& group : plan.groups) {
    for (const auto& volume : group.volumes) {
      if (volume.mounted) continue;
      const std::string fs(Name(volume.filesystem));
      const std::string target = input.host_prefix + volume.mount_point;
      plan.actions.push_back({{"mkdir", "-p", target}, "", fmt::format("create mount point {}", volume.mount_point)});
      if (volume.copy_content) {
        // Carry the directory's files into the new filesystem before it is mounted over them.
        const std::string staging = fmt::format("{}/run/nodeboot/staging/{}-{}", input.host_prefix, group.name, volume.lv);
        plan.actions.push_back({{"mkdir", "-p", staging}, "", "create a staging mount point"});
        plan.actions.push_back({{"mount", "-t", fs, volume.dm_path, staging}, "", fmt::format("mount {} for the copy", volume.dm_path)});
        plan.actions.push_back({{"cp", "-a", target + "/.", staging + "/"}, "",
                                fmt::format("copy the files already in {}", volume.mount_point)});
        plan.actions.push_back({{"umount", staging}, "", "unmount the staging mount point"});
      }
      plan.actions.push_back({{"mount", "-t", fs, volume.dm_path, target}, "",
                              fmt::format("mount {}/{} at {}", group.name, volume.lv, volume.mount_point)});
    }
  }
  return plan;
}

}  // namespace nodeboot::storage
