// The storage layout the node template asks for, as typed values: CCE's storageSelectors,
// storageGroups and virtualSpaces (SPEC §4). agent/config produces it from either the
// `storage` object or the legacy DockerLVMConfigOverride string; the planner consumes it.
// Everything here has been validated; the planner may rely on every rule of SPEC §4 that
// needs no disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::storage {

enum class StorageType { kEvs, kLocal };
enum class SpaceKind { kRuntime, kKubernetes, kUser };
enum class LvType { kLinear, kStriped };
enum class Filesystem { kExt4, kXfs };

std::string_view Name(StorageType type);
std::string_view Name(SpaceKind kind);
std::string_view Name(LvType type);
std::string_view Name(Filesystem filesystem);

// The loose match of CCE: an unset label matches any disk.
struct MatchLabels {
  std::optional<int64_t> size_gib;         // whole GiB
  std::optional<std::string> volume_type;  // SAS, SSD, GPSSD, ...
  std::optional<bool> encrypted;           // metadataEncrypted "1" / "0"
  std::optional<std::string> cmk_id;       // metadataCmkid
  std::optional<int> count;                // at most this many disks; unset: all
  // Only from the legacy diskType=ssd|hdd: local disks by rotation (not a CCE matchLabel).
  std::optional<bool> rotational;
};

struct Selector {
  std::string name;
  StorageType type = StorageType::kEvs;
  MatchLabels match;
};

struct VirtualSpace {
  SpaceKind kind = SpaceKind::kRuntime;
  int percent = 0;  // of the group's extents, 1..100
  LvType lv_type = LvType::kLinear;
  std::string path;  // user space only: where it is mounted
};

struct Group {
  std::string name;
  bool cce_managed = false;
  std::vector<std::string> selector_names;
  std::vector<VirtualSpace> spaces;
};

struct Spec {
  enum class Source { kStorage, kLegacyOverride };
  Source source = Source::kStorage;
  std::vector<Selector> selectors;
  std::vector<Group> groups;
};

// The LV name and default mount point of a space (SPEC §4's table).
std::string_view LogicalVolumeName(SpaceKind kind);
inline constexpr std::string_view kCceManagedGroup = "vgpaas";
inline constexpr std::string_view kKubeletMountPoint = "/mnt/paas/kubernetes/kubelet";
// The runtime space's mount point depends on the container runtime.
std::string_view RuntimeMountPoint(bool runtime_is_docker);
// The device-mapper node of an LV: /dev/mapper/<vg>-<lv>, every '-' in the names doubled.
std::string DmPath(std::string_view vg, std::string_view lv);
// Where a space is mounted (SPEC §4's table).
std::string MountPoint(const VirtualSpace& space, bool runtime_is_docker);

}  // namespace nodeboot::storage
