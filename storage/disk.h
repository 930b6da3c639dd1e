// What nodeboot knows about one whole disk: what sysfs, /proc and libblkid say (Disk), and
// what the cloud says it is (the inventory join: kind, volume type, encryption).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nodeboot::storage {

struct Disk {
  std::string name;    // "vdb"
  std::string device;  // "/dev/vdb"
  std::string devnum;  // "254:16"
  uint64_t size_bytes = 0;
  std::string serial;  // /sys/block/X/serial (virtio: the first 20 characters of the volume id)
  std::string wwid;    // /sys/block/X/device/wwid
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
  std::string kind = "local";  // "evs" or "local"
  std::string volume_type;     // SAS, SSD, ... ("" for local disks)
  std::optional<bool> encrypted;
  std::string cmk_id;
  std::string source;  // how it was matched: "disks[0] by serial", "dataVolumes[1] by size", ""
};

inline uint64_t GiB(uint64_t bytes) { return bytes >> 30; }

}  // namespace nodeboot::storage
