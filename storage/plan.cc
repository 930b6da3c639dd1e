#include "storage/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "agent/base/paths.h"
#include "agent/base/text.h"
#include "storage/fstab.h"

namespace nodeboot::storage {
namespace {

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
      return errors::StorageUnsafeDisk(fmt::format("{}", fmt::join(unsafe, "; ")));
    }
    return errors::StorageUnsatisfiable(fmt::format("{}", fmt::join(unsatisfiable, "; ")));
  }
  bool empty() const { return unsafe.empty() && unsatisfiable.empty(); }
};

std::set<std::string> GroupNames(const Spec& spec) {
  std::set<std::string> names;
  for (const auto& group : spec.groups) names.insert(group.name);
  return names;
}

// The group that owns a selector ("" none).
std::string GroupOf(const Spec& spec, const std::string& selector) {
  for (const auto& group : spec.groups) {
    if (std::find(group.selector_names.begin(), group.selector_names.end(), selector) != group.selector_names.end()) {
      return group.name;
    }
  }
  return "";
}

// Whether a killed vgcreate / vgextend of this spec named this very disk: same device, serial
// and size as when nodeboot had proven it blank.
bool IntendedForVg(const Disk& disk, const std::optional<Intent>& intent, const std::set<std::string>& groups) {
  if (!intent || (intent->kind != IntentKind::kCreateVg && intent->kind != IntentKind::kExtendVg) ||
      !groups.contains(intent->vg)) {
    return false;
  }
  return std::any_of(intent->disks.begin(), intent->disks.end(), [&](const IntentDisk& named) {
    return named.device == disk.device && named.serial == disk.serial && named.size_bytes == disk.size_bytes;
  });
}

// Whether nodeboot may use the disk, and if not, why. A disk that is already a PV of one of
// this spec's VGs, tagged by nodeboot, is adopted: that is the state a previous run left. So is
// a disk an interrupted vgcreate left half-made (an orphan PV, or a label no prober names yet),
// when the intent record names it. The VG a disk is adopted into goes to `adopted_by`.
void JudgeUsability(PlannedDisk& planned, const Observations& observed, const std::set<std::string>& groups,
                    std::string& adopted_by) {
  const Disk& disk = planned.disk;
  const LvmState& lvm = observed.lvm;
  const LvmPhysicalVolume* pv = lvm.FindPv(disk.device);
  if (pv != nullptr && !pv->vg.empty()) {
    const LvmVolumeGroup* vg = lvm.FindVg(pv->vg);
    if (groups.contains(pv->vg) && vg != nullptr && vg->HasTag(kTag)) {
      planned.usable = planned.adopted = true;
      adopted_by = pv->vg;
      return;
    }
    planned.reason = fmt::format("is a physical volume of volume group {}{}", pv->vg,
                                 vg != nullptr && vg->HasTag(kTag) ? "" : ", not created by nodeboot");
    return;
  }
  const bool in_use = disk.holds_root || disk.read_only || !disk.mounted_at.empty() || disk.swap ||
                      !disk.holders.empty() || !disk.partitions.empty() || !disk.probe_error.empty();
  const bool half_made =
      pv != nullptr || disk.signature == "LVM2_member" || (disk.signature.empty() && disk.unrecognised_data);
  if (!in_use && half_made && IntendedForVg(disk, observed.intent, groups)) {
    planned.usable = planned.adopted = true;
    adopted_by = observed.intent->vg;
    planned.reason = fmt::format("left half-made by nodeboot's interrupted {} of {}; taken again",
                                 Name(observed.intent->kind), observed.intent->vg);
    return;
  }
  if (disk.holds_root)
    planned.reason = "holds the root filesystem";
  else if (disk.read_only)
    planned.reason = "is read-only";
  else if (!disk.mounted_at.empty())
    planned.reason = fmt::format("is mounted at {}", disk.mounted_at);
  else if (disk.swap)
    planned.reason = "is in use as swap";
  else if (!disk.holders.empty())
    planned.reason = fmt::format("is in use by {}", fmt::join(disk.holders, ", "));
  else if (!disk.partitions.empty())
    planned.reason = fmt::format("has partitions ({})", fmt::join(disk.partitions, ", "));
  else if (pv != nullptr)
    planned.reason = "is a physical volume in no volume group, not created by nodeboot";
  else if (!disk.probe_error.empty())
    planned.reason = fmt::format("cannot be probed ({}), so it is not provably blank", disk.probe_error);
  else if (!disk.signature.empty())
    planned.reason = fmt::format("carries a {} signature, not created by nodeboot", disk.signature);
  else if (disk.unrecognised_data)
    planned.reason = "holds data in its first or last MiB that no prober recognises";
  else if (disk.removable)
    planned.reason = "is removable";
  else if (disk.size_bytes < 2 * kPeStart + kExtentSize)
    planned.reason = "is too small for a physical volume";
  planned.usable = planned.reason.empty();
}

bool Matches(const Selector& selector, const PlannedDisk& planned) {
  const DiskAttributes& attributes = planned.attributes;
  if (selector.type == StorageType::kLocal) {
    if (attributes.kind != StorageType::kLocal) return false;
    return !selector.match.rotational || *selector.match.rotational == planned.disk.rotational;
  }
  if (attributes.kind != StorageType::kEvs) return false;
  const MatchLabels& match = selector.match;
  if (match.size_gib && static_cast<uint64_t>(*match.size_gib) << 30 != planned.disk.size_bytes) return false;
  if (match.volume_type && AsciiLower(*match.volume_type) != AsciiLower(attributes.volume_type)) return false;
  if (match.encrypted && *match.encrypted != attributes.encrypted.value_or(false)) return false;
  if (match.cmk_id && *match.cmk_id != attributes.cmk_id) return false;
  return true;
}

// SPEC §4: selectors in order, each taking the usable matching disks no earlier selector
// took, at most `count`. A selector takes the disks already in (or half-made for) its group's
// VG first, so a new disk that sorts before them cannot push them out of a counted selector.
void Select(const Spec& spec, std::vector<PlannedDisk>& disks, const std::vector<std::string>& adopted_by) {
  for (const auto& selector : spec.selectors) {
    const std::string group = GroupOf(spec, selector.name);
    int taken = 0;
    for (const bool adopted_pass : {true, false}) {
      for (size_t i = 0; i < disks.size(); ++i) {
        PlannedDisk& planned = disks[i];
        if (selector.match.count && taken >= *selector.match.count) break;
        if (adopted_pass != (!group.empty() && adopted_by[i] == group)) continue;
        if (!planned.usable || !planned.selector.empty() || !Matches(selector, planned)) continue;
        planned.selector = selector.name;
        ++taken;
      }
    }
  }
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

// Whether the intent record proves the LV's contents are nodeboot's unfinished work: an lvcreate
// or mkfs of it was killed. An mkfs record must name this very LV (its lvm uuid).
bool IntentCoversLv(const std::optional<Intent>& intent, const std::string& vg, const PlannedVolume& volume) {
  if (!intent || intent->vg != vg || intent->lv != volume.lv) return false;
  if (intent->kind == IntentKind::kCreateLv) return true;
  return intent->kind == IntentKind::kMakeFilesystem && !intent->lv_uuid.empty() && intent->lv_uuid == volume.uuid;
}

}  // namespace

int Stage(StepKind kind) {
  switch (kind) {
    case StepKind::kReleaseStaging:
      return 0;
    case StepKind::kCreateVg:
    case StepKind::kExtendVg:
      return 1;
    case StepKind::kActivateLv:
    case StepKind::kCreateLv:
      return 2;
    default:
      return 3;
  }
}

int64_t SpaceExtents(int percent, int64_t vg_extents, int stripes) {
  if (stripes < 1) stripes = 1;
  return static_cast<int64_t>(percent) * vg_extents / 100 / stripes * stripes;
}

int64_t PvExtents(uint64_t size_bytes, uint64_t data_offset) {
  return size_bytes <= data_offset ? 0 : static_cast<int64_t>((size_bytes - data_offset) / kExtentSize);
}

uint64_t PredictedPeStart(const Disk& disk) {
  // lvm aligns the data to the larger of its default (1 MiB) and the disk's optimal I/O size
  // (data_alignment_detection), then adds the disk's alignment offset.
  uint64_t alignment = kPeStart;
  const uint64_t minimum = std::max<uint64_t>(disk.minimum_io_bytes, 512);
  if (disk.optimal_io_bytes > alignment && disk.optimal_io_bytes % minimum == 0) alignment = disk.optimal_io_bytes;
  const uint64_t start = (kPeStart + alignment - 1) / alignment * alignment;
  return start + disk.alignment_offset_bytes;
}

std::vector<std::vector<std::string>> Commands(const Step& step) {
  const std::string fs(Name(step.filesystem));
  switch (step.kind) {
    case StepKind::kReleaseStaging:
      return {{"umount", step.target}};
    case StepKind::kCreateVg: {
      std::vector<std::string> argv{"vgcreate", "--addtag", std::string(kTag), "--physicalextentsize", "4m", step.vg};
      argv.insert(argv.end(), step.new_devices.begin(), step.new_devices.end());
      return {WithDevices(argv, step.devices)};
    }
    case StepKind::kExtendVg: {
      std::vector<std::string> argv{"vgextend", step.vg};
      argv.insert(argv.end(), step.new_devices.begin(), step.new_devices.end());
      return {WithDevices(argv, step.devices)};
    }
    case StepKind::kActivateLv:
      // lvchange activates an inactive LV and resumes a suspended one or one without a table;
      // it does not make a missing /dev/mapper node of an LV already live, vgmknodes does.
      return {WithDevices({"lvchange", "--activate", "y", step.vg + "/" + step.lv}, step.devices),
              WithDevices({"vgmknodes", step.vg}, step.devices)};
    case StepKind::kCreateLv: {
      std::vector<std::string> argv{"lvcreate", "--addtag",  std::string(kTag),           "--name",
                                    step.lv,    "--extents", std::to_string(step.extents)};
      if (step.stripes > 1) {
        argv.push_back("--stripes");
        argv.push_back(std::to_string(step.stripes));
      }
      argv.push_back(step.vg);
      return {WithDevices(argv, step.devices)};
    }
    case StepKind::kMakeFilesystem: {
      std::vector<std::string> mkfs{"mkfs." + fs, "-q"};
      // Only over nodeboot's own interrupted mkfs or lvcreate, which the intent record proves.
      if (step.force) mkfs.push_back(step.filesystem == Filesystem::kXfs ? "-f" : "-F");
      mkfs.push_back(step.device);
      std::vector<std::vector<std::string>> commands{mkfs};
      if (step.copy_content) {
        // Carry the directory's files into the new filesystem before it is mounted over them.
        commands.push_back({"mkdir", "-p", step.staging});
        commands.push_back({"mount", "-t", fs, step.device, step.staging});
        commands.push_back({"cp", "-a", step.target + "/.", step.staging + "/"});
        commands.push_back({"umount", step.staging});
      }
      return commands;
    }
    case StepKind::kWriteFstab:
      return {};
    case StepKind::kMount:
      return {{"mkdir", "-p", step.target}, {"mount", "-t", fs, step.device, step.target}};
  }
  return {};
}

Result<Plan> BuildPlan(const PlanInput& input, const Observations& observed, const std::string& fstab) {
  Plan plan;
  Problems problems;
  const std::set<std::string> group_names = GroupNames(input.spec);

  // Staging mounts a killed run left behind go first: they are nodeboot's own, and an LV
  // mounted there cannot be mounted again or made anew.
  // (Mount points as the host sees them, like everything read from mountinfo.)
  const std::string staging_root = std::string(Paths::kStagingDir) + "/";
  for (auto it = observed.mounts.rbegin(); it != observed.mounts.rend(); ++it) {
    if (!it->mount_point.starts_with(staging_root)) continue;
    Step step;
    step.kind = StepKind::kReleaseStaging;
    step.target = input.host_prefix + it->mount_point;
    step.why = fmt::format("release the staging mount {} a killed run left", it->mount_point);
    plan.steps.push_back(std::move(step));
  }

  std::vector<Disk> disks = observed.disks;
  std::sort(disks.begin(), disks.end(), DiskOrder);
  std::vector<std::string> adopted_by(disks.size());
  for (size_t i = 0; i < disks.size(); ++i) {
    PlannedDisk planned{disks[i], Classify(disks[i], input.inventory), false, false, "", ""};
    JudgeUsability(planned, observed, group_names, adopted_by[i]);
    plan.disks.push_back(std::move(planned));
  }
  Select(input.spec, plan.disks, adopted_by);

  std::vector<FstabEntry> fstab_entries;
  std::vector<std::string> mount_points;
  for (const auto& group : input.spec.groups) {
    for (const auto& space : group.spaces) mount_points.push_back(MountPoint(space, input.runtime_is_docker));
  }
  for (const auto& line : ForeignLinesFor(fstab, mount_points)) {
    problems.unsafe.push_back(fmt::format("/etc/fstab line {} (\"{}\") mounts {}, and nodeboot did not write it",
                                          line.number, line.line, line.mount_point));
  }

  for (const auto& group : input.spec.groups) {
    PlannedGroup planned;
    planned.name = group.name;
    std::vector<PlannedDisk*> members;
    for (auto& disk : plan.disks) {
      if (std::find(group.selector_names.begin(), group.selector_names.end(), disk.selector) !=
          group.selector_names.end()) {
        members.push_back(&disk);
      }
    }
    const LvmVolumeGroup* vg = observed.lvm.FindVg(group.name);
    if (vg != nullptr && !vg->HasTag(kTag)) {
      problems.unsafe.push_back(
          fmt::format("volume group {} exists and was not created by nodeboot (no '{}' tag)", group.name, kTag));
      continue;
    }
    planned.exists = vg != nullptr;
    for (PlannedDisk* disk : members) {
      const bool in_vg = vg != nullptr && std::any_of(vg->pvs.begin(), vg->pvs.end(),
                                                      [&](const auto& pv) { return pv.name == disk->disk.device; });
      if (in_vg) {
        planned.devices.push_back(disk->disk.device);
      } else if (vg != nullptr && !vg->lvs.empty()) {
        // A disk attached after the layout was made: nodeboot does not resize volumes, so it is
        // left alone, and it must not stand in the way of repairing what exists.
        disk->reason = fmt::format(
            "matches selector {} but is left unused: volume group {} already has its logical "
            "volumes, and nodeboot does not resize them",
            disk->selector, group.name);
      } else {
        planned.devices.push_back(disk->disk.device);
        planned.new_devices.push_back(disk->disk.device);
      }
    }
    if (vg != nullptr) {
      for (const auto& pv : vg->pvs) {
        if (std::find(planned.devices.begin(), planned.devices.end(), pv.name) == planned.devices.end()) {
          planned.devices.push_back(pv.name);  // a PV the selectors no longer pick stays in the VG
        }
      }
    }
    if (planned.devices.empty()) {
      // A matching disk that holds data is the real story: say which and what (exit 21).
      std::vector<std::string> refused;
      for (const auto& disk : plan.disks) {
        if (disk.usable || disk.disk.holds_root) continue;
        for (const auto& selector : input.spec.selectors) {
          if (std::find(group.selector_names.begin(), group.selector_names.end(), selector.name) !=
                  group.selector_names.end() &&
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

    // Extents: the VG's own count once it exists and is complete; before that, what lvm is
    // expected to make of the disks (only the plan shows that prediction: the reconcile loop
    // sizes LVs from the real VG).
    std::vector<int64_t> pv_extents;
    for (const auto& device : planned.devices) {
      const LvmPhysicalVolume* pv = observed.lvm.FindPv(device);
      if (pv != nullptr && vg != nullptr && pv->vg == vg->name) {
        pv_extents.push_back(pv->extents);
      } else {
        const auto it =
            std::find_if(plan.disks.begin(), plan.disks.end(), [&](const auto& d) { return d.disk.device == device; });
        pv_extents.push_back(it == plan.disks.end() ? 0 : PvExtents(it->disk.size_bytes, PredictedPeStart(it->disk)));
      }
    }
    planned.extents = 0;
    for (int64_t extents : pv_extents) planned.extents += extents;
    planned.extents_predicted = vg == nullptr || !planned.new_devices.empty();
    if (!planned.extents_predicted) planned.extents = vg->extent_count;

    const int stripes = static_cast<int>(planned.devices.size());
    bool group_ok = true;
    for (const auto& space : group.spaces) {
      if (space.lv_type != LvType::kStriped) continue;
      if (stripes < 2) {
        problems.unsatisfiable.push_back(
            fmt::format("group {}: the striped {} space needs at least 2 disks, the selectors found {}", group.name,
                        Name(space.kind), stripes));
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
        problems.unsatisfiable.push_back(fmt::format("group {}: {}% of {} extents leaves the {} space empty",
                                                     group.name, space.percent, planned.extents, Name(space.kind)));
        continue;
      }
      const LvmLogicalVolume* lv = vg != nullptr ? vg->FindLv(volume.lv) : nullptr;
      if (lv != nullptr) {
        volume.exists = true;
        volume.active = lv->active && !observed.lv_nodes_missing.contains(volume.dm_path);
        volume.uuid = lv->uuid;
        if (lv->extents() != volume.extents || lv->stripes() != volume.stripes) {
          problems.unsafe.push_back(
              fmt::format("{}/{} exists with {} extents and {} stripe(s), the plan says {} and {}; "
                          "nodeboot does not resize a volume that may hold data",
                          group.name, volume.lv, lv->extents(), lv->stripes(), volume.extents, volume.stripes));
          continue;
        }
        if (auto it = observed.lv_filesystems.find(volume.dm_path); it != observed.lv_filesystems.end()) {
          volume.current_filesystem = it->second;
        }
      }
      if (const MountEntry* mount = MountAt(observed.mounts, volume.mount_point)) {
        const auto devnum = observed.lv_devnums.find(volume.dm_path);
        const bool ours =
            mount->source == volume.dm_path || (devnum != observed.lv_devnums.end() && devnum->second == mount->devnum);
        if (ours) {
          volume.mounted = true;
        } else {
          problems.unsafe.push_back(
              fmt::format("{} is already a mount point of {} ({})", volume.mount_point, mount->source, mount->fs_type));
          continue;
        }
      }
      // An LV whose lvcreate or mkfs was killed holds nodeboot's unfinished work, not data -
      // unless it has been mounted since, which only a finished step allows.
      const bool redo = volume.exists && !volume.mounted && IntentCoversLv(observed.intent, group.name, volume);
      if (redo) volume.current_filesystem.clear();
      if (!volume.current_filesystem.empty() && volume.current_filesystem != Name(volume.filesystem)) {
        problems.unsafe.push_back(fmt::format("{} carries {}, not the {} the plan expects; it is not re-made",
                                              volume.dm_path, volume.current_filesystem, Name(volume.filesystem)));
        continue;
      }
      if (!volume.mounted) {
        const auto target = observed.targets.find(volume.mount_point);
        if (target != observed.targets.end() && !target->second.refusal.empty()) {
          problems.unsafe.push_back(fmt::format("mount target {}: {}", volume.mount_point, target->second.refusal));
          continue;
        }
        if (target != observed.targets.end() && !target->second.mounts_below.empty()) {
          problems.unsafe.push_back(fmt::format("mount target {} has {} mounted below it, which the volume would hide",
                                                volume.mount_point, fmt::join(target->second.mounts_below, ", ")));
          continue;
        }
      }
      fstab_entries.push_back({fmt::format("{}/{}", group.name, volume.lv),
                               fmt::format("{} {} {} defaults 0 {}", volume.dm_path, volume.mount_point,
                                           Name(volume.filesystem), volume.filesystem == Filesystem::kExt4 ? 2 : 0)});
      planned.volumes.push_back(std::move(volume));
    }
    plan.groups.push_back(std::move(planned));
  }
  if (!problems.empty()) return problems.ToError();

  // The steps, in order: VGs, LVs (striped first), filesystems (with the copy), fstab, mounts.
  auto group_step = [](StepKind kind, const PlannedGroup& group, std::string why) {
    Step step;
    step.kind = kind;
    step.vg = group.name;
    step.devices = group.devices;
    step.new_devices = group.new_devices;
    step.why = std::move(why);
    return step;
  };
  for (const auto& group : plan.groups) {
    if (!group.exists) {
      plan.steps.push_back(group_step(StepKind::kCreateVg, group, fmt::format("create volume group {}", group.name)));
    } else if (!group.new_devices.empty()) {
      plan.steps.push_back(
          group_step(StepKind::kExtendVg, group,
                     fmt::format("extend volume group {} with {}", group.name, fmt::join(group.new_devices, ", "))));
    }
  }
  for (const auto& group : plan.groups) {
    for (const auto& volume : group.volumes) {
      Step step = group_step(StepKind::kCreateLv, group, "");
      step.new_devices.clear();
      step.lv = volume.lv;
      if (volume.exists && !volume.active) {
        step.kind = StepKind::kActivateLv;
        step.why = fmt::format("activate {}/{}", group.name, volume.lv);
        plan.steps.push_back(step);
      }
      if (volume.exists) continue;
      step.kind = StepKind::kCreateLv;
      step.extents = volume.extents;
      step.stripes = volume.stripes;
      step.why =
          fmt::format("create {}/{} ({} extents, {} stripe(s))", group.name, volume.lv, volume.extents, volume.stripes);
      plan.steps.push_back(std::move(step));
    }
  }
  // A step on one volume's filesystem and mount target.
  auto volume_step = [&input](StepKind kind, const PlannedGroup& group, const PlannedVolume& volume) {
    Step step;
    step.kind = kind;
    step.vg = group.name;
    step.lv = volume.lv;
    step.filesystem = volume.filesystem;
    step.device = volume.dm_path;
    step.target = input.host_prefix + volume.mount_point;
    return step;
  };
  for (const auto& group : plan.groups) {
    for (const auto& volume : group.volumes) {
      if (!volume.current_filesystem.empty()) continue;
      Step step = volume_step(StepKind::kMakeFilesystem, group, volume);
      // Only a filesystem made in this step gets the target's files: one that exists already
      // may hold newer versions of them.
      const auto target = observed.targets.find(volume.mount_point);
      step.copy_content = !volume.mounted && target != observed.targets.end() && target->second.has_content;
      step.staging = fmt::format("{}{}/{}-{}", input.host_prefix, Paths::kStagingDir, group.name, volume.lv);
      step.lv_uuid = volume.uuid;
      step.force = volume.exists && IntentCoversLv(observed.intent, group.name, volume);
      step.why =
          fmt::format("make {} on {}/{}{}{}", Name(volume.filesystem), group.name, volume.lv,
                      step.force ? " again (nodeboot's own interrupted work)" : "",
                      step.copy_content ? fmt::format(" and copy in the files already in {}", volume.mount_point) : "");
      plan.steps.push_back(std::move(step));
    }
  }
  const std::string new_fstab = UpdateFstab(fstab, fstab_entries);
  if (new_fstab != fstab) {
    Step step;
    step.kind = StepKind::kWriteFstab;
    step.fstab = new_fstab;
    step.why = "write nodeboot's lines in /etc/fstab";
    plan.steps.push_back(std::move(step));
  }
  for (const auto& group : plan.groups) {
    for (const auto& volume : group.volumes) {
      if (volume.mounted) continue;
      Step step = volume_step(StepKind::kMount, group, volume);
      step.why = fmt::format("mount {}/{} at {}", group.name, volume.lv, volume.mount_point);
      plan.steps.push_back(std::move(step));
    }
  }
  return plan;
}

}  // namespace nodeboot::storage
