// /etc/fstab lines that nodeboot owns (SPEC §4): each entry is preceded by a marker comment
// "# nodeboot: <vg>/<lv>", rewritten in place on the next run and never duplicated; every
// other line is left exactly as it was. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nodeboot::storage {

struct FstabEntry {
  std::string key;   // "vgpaas/dockersys"
  std::string line;  // "/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2"
};

std::string UpdateFstab(std::string_view current, const std::vector<FstabEntry>& entries);

}  // namespace nodeboot::storage
