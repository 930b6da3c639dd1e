#include "storage/spec.h"

namespace nodeboot::storage {

std::string_view Name(StorageType type) { return type == StorageType::kLocal ? "local" : "evs"; }

std::string_view Name(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kRuntime: return "runtime";
    case SpaceKind::kKubernetes: return "kubernetes";
    case SpaceKind::kUser: return "user";
  }
  return "?";
}

std::string_view Name(LvType type) { return type == LvType::kStriped ? "striped" : "linear"; }
std::string_view Name(Filesystem filesystem) { return filesystem == Filesystem::kXfs ? "xfs" : "ext4"; }

std::string_view LogicalVolumeName(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kRuntime: return "dockersys";
    case SpaceKind::kKubernetes: return "kubernetes";
    case SpaceKind::kUser: return "user";
  }
  return "?";
}

std::string_view RuntimeMountPoint(bool runtime_is_docker) {
  return runtime_is_docker ? "/var/lib/docker" : "/var/lib/containerd";
}

}  // namespace nodeboot::storage
