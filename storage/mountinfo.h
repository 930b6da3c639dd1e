// /proc/self/mountinfo and /proc/swaps, parsed (pure).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::storage {

struct MountEntry {
  std::string devnum;       // "254:16" (major:minor of the mounted device)
  std::string mount_point;  // unescaped
  std::string fs_type;
  std::string source;  // "/dev/mapper/vgpaas-dockersys"
};

std::vector<MountEntry> ParseMountinfo(std::string_view text);
// The device paths of active swap areas ("/dev/vdb", "/dev/vdc1").
std::vector<std::string> ParseSwaps(std::string_view text);

}  // namespace nodeboot::storage
