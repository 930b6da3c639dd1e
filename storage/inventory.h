// The inventory join (SPEC §4): volume type, encryption and KMS key cannot be seen from
// inside the VM, so they come from `disks:` (joined on the serial or WWN, on every bus), else
// from nodeTemplate.dataVolumes matched by size; a disk matched to neither is local. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/disk.h"

namespace nodeboot::storage {

struct InventoryVolume {  // one `disks:` entry: an attached volume as the cloud knows it
  std::string id;         // the volume UUID
  std::string volume_type;
  std::optional<bool> encrypted;
  std::string cmk_id;
  // The volume's WWN (the EVS API's `wwn`), lowercase hex without a prefix, "" when the
  // inventory does not say: SCSI disks show it in device/wwid (naa.<wwn>), and their serial need
  // not carry the volume id.
  std::string wwn;
  // As the inventory says; never used to match: the serial or WWN names the disk.
  std::optional<int64_t> size_gib = {};
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

// source says what matched: "disks[0] by serial", "disks[0] by WWN", "dataVolumes[1] by size".
DiskAttributes Classify(const Disk& disk, const Inventory& inventory);

enum class VolumeMatch { kNone, kSerial, kWwn };

// Whether a disk's serial or WWN (storage/disk_identity.h) names the volume `id`, compared
// without regard to case:
// - serial: the id, or its first 20 characters, each with or without its dashes. virtio-blk
//   and an NVMe serial number hold at most 20 characters (so the first 20 of the id); a SCSI
//   unit serial (VPD page 0x80) may hold the whole id;
// - WWN: the id without dashes inside the wwid with its dashes removed (a SCSI designator or
//   an NVMe uuid./eui. identifier built from the volume id), for ids of at least 20 characters
//   so that a short id cannot match by chance.
// The serial is tried first.
VolumeMatch MatchVolume(const Disk& disk, const std::string& id);
// Whether the disk's WWN (device/wwid: "naa.<hex>", "eui.<hex>", or plain hex) is `wwn`
// (lowercase hex, as the config keeps it).
bool WwnMatches(const Disk& disk, const std::string& wwn);

}  // namespace nodeboot::storage
