// What nodeboot knows about one whole disk: what sysfs, /proc and libblkid say (Disk), and
// what the cloud says it is (the inventory join: kind, volume type, encryption).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/spec.h"

namespace nodeboot::storage {

// How the disk is attached, by its kernel name (storage/disk_identity.h): vd* virtio-blk, sd*
// SCSI (virtio-scsi, passthrough SCSI, SATA/SAS behind the SCSI layer), nvme*n* NVMe.
enum class DiskBus { kVirtio, kScsi, kNvme, kOther };

struct Disk {
  std::string name;    // "vdb"
  std::string device;  // "/dev/vdb"
  std::string devnum;  // "254:16"
  uint64_t size_bytes = 0;
  DiskBus bus = DiskBus::kOther;
  // The disk's own names, per bus (storage/disk_identity.h), trimmed; "" when it has none.
  // serial: virtio /sys/block/X/serial (the first 20 characters of the volume id); SCSI VPD
  // page 0x80; NVMe the controller's serial number.
  std::string serial;
  // wwid: SCSI device/wwid ("naa.6888603000008b32fa16688d09368506", "t10.…", "eui.…") from VPD
  // page 0x83; NVMe /sys/block/X/wwid ("eui.…", "uuid.…", "nvme.…"); virtio none.
  std::string wwid;
  // queue/optimal_io_size, queue/minimum_io_size, alignment_offset: where lvm puts a PV's data.
  uint64_t optimal_io_bytes = 0;
  uint64_t minimum_io_bytes = 0;
  uint64_t alignment_offset_bytes = 0;
  bool rotational = false;
  bool removable = false;
  bool read_only = false;
  bool holds_root = false;              // the disk under '/', never a candidate
  std::vector<std::string> holders;     // /sys/block/X/holders (dm devices on top of it)
  std::vector<std::string> partitions;  // "vdb1", ...
  std::string mounted_at;               // the disk or one of its partitions is mounted here
  bool swap = false;                    // the disk or one of its partitions is active swap
  // libblkid: "" when no signature was found; else its type: ext4, xfs, swap, LVM2_member,
  // dos, gpt, ...
  std::string signature;
  // Non-zero bytes in the first or last MiB that no prober recognised: data all the same.
  bool unrecognised_data = false;
  std::string probe_error;  // the probe could not read the disk: not provably blank
};

// A disk with what the cloud says about it.
struct DiskAttributes {
  StorageType kind = StorageType::kLocal;
  std::string volume_type;  // SAS, SSD, ... ("" for local disks)
  std::optional<bool> encrypted;
  std::string cmk_id;
  std::string source;  // how it was matched: "disks[0] by serial", "dataVolumes[1] by size", ""
};

inline uint64_t GiB(uint64_t bytes) { return bytes >> 30; }

}  // namespace nodeboot::storage
