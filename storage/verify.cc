// VerifyLayout (plan.h): the proof at the end of the reconcile loop, on the observation that
// found nothing left to do - so a finished node is verified by the one lvm read it makes.
#include <fmt/format.h>

#include <algorithm>

#include "storage/plan.h"

namespace nodeboot::storage {

Status VerifyLayout(const Plan& plan, const Observations& observed) {
  for (const auto& group : plan.groups) {
    const LvmVolumeGroup* vg = observed.lvm.FindVg(group.name);
    if (vg == nullptr)
      return errors::StorageVerifyFailed(fmt::format("volume group {} is missing after the run", group.name));
    if (!vg->HasTag(kTag))
      return errors::StorageVerifyFailed(fmt::format("volume group {} lacks the '{}' tag", group.name, kTag));
    for (const auto& volume : group.volumes) {
      const std::string name = fmt::format("{}/{}", group.name, volume.lv);
      const LvmLogicalVolume* lv = vg->FindLv(volume.lv);
      if (lv == nullptr) return errors::StorageVerifyFailed(fmt::format("{} is missing after the run", name));
      if (lv->extents() != volume.extents) {
        return errors::StorageVerifyFailed(
            fmt::format("{} has {} extents, the plan says {}", name, lv->extents(), volume.extents));
      }
      if (lv->stripes() != volume.stripes) {
        return errors::StorageVerifyFailed(
            fmt::format("{} has {} stripe(s), the plan says {}", name, lv->stripes(), volume.stripes));
      }
      for (const auto& device : lv->devices()) {
        if (std::find(group.devices.begin(), group.devices.end(), device) == group.devices.end()) {
          return errors::StorageVerifyFailed(
              fmt::format("{} uses {}, which is not one of the group's disks", name, device));
        }
      }
      if (volume.stripes > 1 && static_cast<int>(lv->devices().size()) != volume.stripes) {
        return errors::StorageVerifyFailed(
            fmt::format("{} spans {} disk(s), the plan says {}", name, lv->devices().size(), volume.stripes));
      }
      const auto fs = observed.lv_filesystems.find(volume.dm_path);
      const std::string found = fs == observed.lv_filesystems.end() ? "" : fs->second;
      if (found != Name(volume.filesystem)) {
        return errors::StorageVerifyFailed(
            fmt::format("{} carries \"{}\", the plan says {}", volume.dm_path, found, Name(volume.filesystem)));
      }
      if (!volume.mounted)
        return errors::StorageVerifyFailed(fmt::format("{} is not mounted at {}", name, volume.mount_point));
    }
  }
  return Ok();
}

}  // namespace nodeboot::storage
