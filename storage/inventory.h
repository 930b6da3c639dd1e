// The inventory join (SPEC §4): volume type, encryption and KMS key cannot be seen from
// inside the VM, so they come from `disks:` (joined on the serial or WWN), else from
// nodeTemplate.dataVolumes matched by size; a disk matched to neither is local. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/disk.h"

namespace nodeboot::storage {

struct InventoryVolume {  // one `disks:` entry
  std::string id;         // the volume UUID
  std::string volume_type;
  std::optional<bool> encrypted;
  std::string cmk_id;
};

struct TemplateVolume {  // one nodeTemplate.dataVolumes entry
  std::string volume_type;
  int64_t size_gib = 0;
  bool encrypted = false;
  std::string cmk_id;
};

struct Inventory {
  std::vector<InventoryVolume> disks;
  std::vector<TemplateVolume> data_volumes;
};

DiskAttributes Classify(const Disk& disk, const Inventory& inventory);

// Whether a disk's serial or WWN names the volume `id` (virtio shows the first 20
// characters of the id, with or without its dashes; SCSI's WWN carries it without dashes).
bool SerialMatches(const Disk& disk, const std::string& id);

}  // namespace nodeboot::storage
