#include "storage/spec.h"

#include <fmt/format.h>

namespace nodeboot::storage {

std::string_view Name(StorageType type) { return type == StorageType::kLocal ? "local" : "evs"; }

std::string_view Name(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kRuntime:
      return "runtime";
    case SpaceKind::kKubernetes:
      return "kubernetes";
    case SpaceKind::kUser:
      return "user";
  }
  return "?";
}

std::string_view Name(LvType type) { return type == LvType::kStriped ? "striped" : "linear"; }
std::string_view Name(Filesystem filesystem) { return filesystem == Filesystem::kXfs ? "xfs" : "ext4"; }

std::string_view LogicalVolumeName(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kRuntime:
      return "dockersys";
    case SpaceKind::kKubernetes:
      return "kubernetes";
    case SpaceKind::kUser:
      return "user";
  }
  return "?";
}

std::string_view RuntimeMountPoint(bool runtime_is_docker) {
  return runtime_is_docker ? "/var/lib/docker" : "/var/lib/containerd";
}

std::string DmPath(std::string_view vg, std::string_view lv) {
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

std::string MountPoint(const VirtualSpace& space, bool runtime_is_docker) {
  switch (space.kind) {
    case SpaceKind::kRuntime:
      return std::string(RuntimeMountPoint(runtime_is_docker));
    case SpaceKind::kKubernetes:
      return std::string(kKubeletMountPoint);
    case SpaceKind::kUser:
      return space.path;
  }
  return "";
}

}  // namespace nodeboot::storage
