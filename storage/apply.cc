#include "storage/apply.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"

namespace nodeboot::storage {
namespace {

bool IsLvmCommand(const std::string& name) {
  return name == "vgcreate" || name == "vgextend" || name == "lvcreate" || name == "lvchange";
}

Error CommandFailed(const Action& action, const std::string& detail) {
  return Error{"NB-STORAGE-COMMAND-FAILED", fmt::format("{} ({}): {}", action.argv.front(), action.why, detail),
               exit_code::kStorageCommandFailed};
}

// mkfs only on an LV that is provably empty: an LV that already carries the expected
// filesystem is used as is, anything else stops the run.
Result<bool> NeedsMkfs(const Action& action, ApplyContext& context, const std::string& expected) {
  if (context.dry_run) return true;
  const std::string& device = action.argv.back();
  const std::string found = context.probe.FilesystemType(device);
  if (found.empty()) return true;
  if (found == expected) {
    log::Info("storage: {} already carries {}; not re-made", device, found);
    return false;
  }
  return Error{"NB-STORAGE-UNSAFE-DISK", fmt::format("{} carries {}, not {}; it is not re-made", device, found, expected),
               exit_code::kStorageUnsafe};
}

Error VerifyFailed(std::string message) {
  return Error{"NB-STORAGE-VERIFY-FAILED", std::move(message), exit_code::kStorageCommandFailed};
}

}  // namespace

Status ApplyPlan(const Plan& plan, ApplyContext& context) {
  for (const auto& action : plan.actions) {
    log::Info("storage: {}", action.why);
    if (action.argv.empty()) {
      if (auto written = context.files.Write("/etc/fstab", action.fstab, std::filesystem::perms(0644),
                                             std::filesystem::perms(0755));
          !written) {
        return Error{"NB-STORAGE-COMMAND-FAILED", fmt::format("write /etc/fstab: {}", written.error().message),
                     exit_code::kStorageCommandFailed};
      }
      continue;
    }
    const std::string& name = action.argv.front();
    if (IsLvmCommand(name)) {
      NB_TRY(context.lvm.Run(action.argv, action.why));
      continue;
    }
    if (name.starts_with("mkfs.")) {
      NB_TRY_ASSIGN(const bool needed, NeedsMkfs(action, context, name.substr(5)));
      if (!needed) continue;
    }
    Command command;
    command.argv = action.argv;
    // mkfs and the copy of an existing directory can take a while on big volumes.
    command.timeout = name == "cp" ? std::chrono::seconds(3600) : std::chrono::seconds(900);
    auto result = context.runner.Run(command);
    if (!result) return CommandFailed(action, result.error().message);
    if (!result->ok()) {
      return CommandFailed(action, fmt::format("{}: {}", result->timed_out ? "timed out" : fmt::format("exit {}", result->exit_code),
                                               result->FirstErrorLine()));
    }
  }
  return Ok();
}

Status VerifyPlan(const Plan& plan, ApplyContext& context) {
  NB_TRY_ASSIGN(const LvmState lvm, context.lvm.Report());
  std::vector<MountEntry> mounts;
  if (auto text = ReadFile(context.paths.Host("/proc/self/mountinfo"))) mounts = ParseMountinfo(*text);
  for (const auto& group : plan.groups) {
    const LvmVolumeGroup* vg = lvm.FindVg(group.name);
    if (vg == nullptr) return VerifyFailed(fmt::format("volume group {} is missing after the run", group.name));
    if (!vg->HasTag(kTag)) return VerifyFailed(fmt::format("volume group {} lacks the '{}' tag", group.name, kTag));
    for (const auto& volume : group.volumes) {
      const std::string name = fmt::format("{}/{}", group.name, volume.lv);
      const LvmLogicalVolume* lv = vg->FindLv(volume.lv);
      if (lv == nullptr) return VerifyFailed(fmt::format("{} is missing after the run", name));
      if (lv->extents() != volume.extents) {
        return VerifyFailed(fmt::format("{} has {} extents, the plan says {}", name, lv->extents(), volume.extents));
      }
      if (lv->stripes() != volume.stripes) {
        return VerifyFailed(fmt::format("{} has {} stripe(s), the plan says {}", name, lv->stripes(), volume.stripes));
      }
      for (const auto& device : lv->devices()) {
        if (std::find(group.devices.begin(), group.devices.end(), device) == group.devices.end()) {
          return VerifyFailed(fmt::format("{} uses {}, which is not one of the group's disks", name, device));
        }
      }
      if (volume.stripes > 1 && static_cast<int>(lv->devices().size()) != volume.stripes) {
        return VerifyFailed(fmt::format("{} spans {} disk(s), the plan says {}", name, lv->devices().size(), volume.stripes));
      }
      const std::string fs = context.probe.FilesystemType(volume.dm_path);
      if (fs != Name(volume.filesystem)) {
        return VerifyFailed(fmt::format("{} carries \"{}\", the plan says {}", volume.dm_path, fs, Name(volume.filesystem)));
      }
      const bool mounted = std::any_of(mounts.begin(), mounts.end(), [&](const MountEntry& m) {
        return m.mount_point == volume.mount_point && m.fs_type == Name(volume.filesystem);
      });
      if (!mounted) return VerifyFailed(fmt::format("{} is not mounted at {}", name, volume.mount_point));
    }
  }
  return Ok();
}

}  // namespace nodeboot::storage
