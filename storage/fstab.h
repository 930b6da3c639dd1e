// /etc/fstab lines that nodeboot owns (SPEC §4): each entry is preceded by a marker comment
// "# nodeboot: <vg>/<lv>" and its first field is that LV's /dev/mapper path. Owned entries
// are rewritten in place and never duplicated; every other line - including one an operator
// put right after a stale marker - is left exactly as it was. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::storage {

struct FstabEntry {
  std::string key;   // "vgpaas/dockersys"
  std::string line;  // "/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2"
};

// A line nodeboot did not write that mounts something at a mount point it needs.
struct ForeignFstabLine {
  int number = 0;  // 1-based line number
  std::string line;
  std::string mount_point;
};

// The lines of `current` not owned by nodeboot whose mount point (the second field, with
// fstab's octal escapes undone and trailing slashes dropped) is one of `mount_points`.
std::vector<ForeignFstabLine> ForeignLinesFor(std::string_view current, const std::vector<std::string>& mount_points);

std::string UpdateFstab(std::string_view current, const std::vector<FstabEntry>& entries);

}  // namespace nodeboot::storage
