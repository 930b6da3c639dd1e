#include "storage/inventory.h"

#include <fmt/format.h>

#include <algorithm>

#include "agent/base/text.h"

namespace nodeboot::storage {
namespace {

std::string WithoutDashes(const std::string& text) {
  std::string out;
  std::copy_if(text.begin(), text.end(), std::back_inserter(out), [](char c) { return c != '-'; });
  return out;
}

}  // namespace

VolumeMatch MatchVolume(const Disk& disk, const std::string& id) {
  const std::string lower_id = AsciiLower(id);
  const std::string dashless = WithoutDashes(lower_id);
  const std::string serial = AsciiLower(disk.serial);
  if (!serial.empty() && (serial == lower_id || serial == dashless || serial == lower_id.substr(0, 20) ||
                          serial == dashless.substr(0, 20))) {
    return VolumeMatch::kSerial;
  }
  if (!disk.wwid.empty() && dashless.size() >= 20 &&
      WithoutDashes(AsciiLower(disk.wwid)).find(dashless) != std::string::npos) {
    return VolumeMatch::kWwn;
  }
  return VolumeMatch::kNone;
}

bool WwnMatches(const Disk& disk, const std::string& wwn) {
  if (wwn.empty() || disk.wwid.empty()) return false;
  std::string hex = AsciiLower(disk.wwid);
  for (const std::string_view prefix : {"naa.", "eui.", "0x"}) {
    if (hex.starts_with(prefix)) hex = hex.substr(prefix.size());
  }
  return hex == wwn;
}

DiskAttributes Classify(const Disk& disk, const Inventory& inventory) {
  for (size_t i = 0; i < inventory.disks.size(); ++i) {
    const auto& volume = inventory.disks[i];
    VolumeMatch match = MatchVolume(disk, volume.id);
    if (match == VolumeMatch::kNone && WwnMatches(disk, volume.wwn)) match = VolumeMatch::kWwn;
    if (match == VolumeMatch::kNone) continue;
    return {StorageType::kEvs, volume.volume_type, volume.encrypted, volume.cmk_id,
            fmt::format("disks[{}] by {}", i, match == VolumeMatch::kSerial ? "serial" : "WWN")};
  }
  for (size_t i = 0; i < inventory.data_volumes.size(); ++i) {
    const auto& volume = inventory.data_volumes[i];
    if (volume.size_gib <= 0 || static_cast<uint64_t>(volume.size_gib) << 30 != disk.size_bytes) continue;
    return {StorageType::kEvs, volume.volume_type, volume.encrypted, volume.cmk_id,
            fmt::format("dataVolumes[{}] by size", i)};
  }
  return {};
}

}  // namespace nodeboot::storage
