#include "storage/observe.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "storage/disk_identity.h"

namespace nodeboot::storage {
namespace {

namespace fs = std::filesystem;

std::string ReadSysfs(const fs::path& path) {
  auto text = ReadFile(path, 4096);
  return text ? std::string(TrimWhitespace(*text)) : "";
}

std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

bool IsCandidateName(const std::string& name) {
  for (const char* prefix : {"loop", "ram", "sr", "dm-", "md", "zram", "nbd", "fd"}) {
    if (name.starts_with(prefix)) return false;
  }
  return true;
}

// The whole disks under a device number, following device-mapper (and md) slaves down.
void DisksUnder(const Paths& paths, const std::string& devnum, std::set<std::string>& disks, int depth = 0) {
  if (depth > 8 || devnum.empty()) return;
  const fs::path node = paths.Host("/sys/dev/block/" + devnum);
  std::error_code ec;
  const fs::path resolved = fs::canonical(node, ec);
  if (ec) return;
  // .../block/vda/vda1 -> vda; .../block/vda -> vda; .../block/dm-0 -> its slaves.
  const std::string name = resolved.filename();
  if (fs::exists(resolved / "partition", ec)) {
    disks.insert(resolved.parent_path().filename());
    return;
  }
  const auto slaves = ListDir(resolved / "slaves");
  if (slaves.empty()) {
    disks.insert(name);
    return;
  }
  for (const auto& slave : slaves) DisksUnder(paths, ReadSysfs(resolved / "slaves" / slave / "dev"), disks, depth + 1);
}

}  // namespace

std::vector<Disk> DiscoverDisks(const Paths& paths, SignatureProbe& probe, const std::vector<MountEntry>& mounts,
                                const std::set<std::string>& known_pvs) {
  std::set<std::string> root_disks;
  for (const auto& mount : mounts) {
    if (mount.mount_point == "/") DisksUnder(paths, mount.devnum, root_disks);
  }
  std::vector<std::string> swaps;
  if (auto text = ReadFile(paths.Host("/proc/swaps"))) swaps = ParseSwaps(*text);

  std::vector<Disk> disks;
  const fs::path block = paths.Host("/sys/block");
  for (const auto& name : ListDir(block)) {
    if (!IsCandidateName(name)) continue;
    const fs::path dir = block / name;
    if (IsHiddenDisk(dir)) continue;  // an NVMe multipath path; its head node is the disk
    Disk disk;
    disk.name = name;
    disk.device = "/dev/" + name;
    disk.devnum = ReadSysfs(dir / "dev");
    disk.size_bytes = std::strtoull(ReadSysfs(dir / "size").c_str(), nullptr, 10) * 512;
    ReadDiskIdentity(dir, disk);  // bus, serial, wwid
    ReadIoTopology(dir, disk);
    disk.rotational = ReadSysfs(dir / "queue/rotational") == "1";
    disk.removable = ReadSysfs(dir / "removable") == "1";
    disk.read_only = ReadSysfs(dir / "ro") == "1";
    disk.holds_root = root_disks.contains(name);
    disk.holders = ListDir(dir / "holders");
    std::vector<std::string> devnums{disk.devnum};
    std::vector<std::string> devices{disk.device};
    for (const auto& entry : ListDir(dir)) {
      // The kernel names a partition after its disk (vdb1, nvme0n1p1), so only those entries
      // of the twenty-odd in a disk's sysfs directory need the stat.
      if (!entry.starts_with(name)) continue;
      std::error_code ec;
      if (!fs::exists(dir / entry / "partition", ec)) continue;
      disk.partitions.push_back(entry);
      devnums.push_back(ReadSysfs(dir / entry / "dev"));
      devices.push_back("/dev/" + entry);
    }
    for (const auto& mount : mounts) {
      if (std::find(devnums.begin(), devnums.end(), mount.devnum) != devnums.end()) disk.mounted_at = mount.mount_point;
    }
    for (const auto& swap : swaps) {
      if (std::find(devices.begin(), devices.end(), swap) != devices.end()) disk.swap = true;
    }
    // Never open the root disk or a disk in use; nor a disk lvm already reports as a PV of a
    // nodeboot VG (the planner judges it by that, and the later passes of a run need not read
    // 2 MiB of each of its disks again); everything else is probed.
    if (!disk.holds_root && disk.mounted_at.empty() && !disk.swap && !known_pvs.contains(disk.device)) {
      const ProbeResult probed = probe.Probe(disk.device);
      disk.signature = probed.signature;
      disk.unrecognised_data = probed.unrecognised_data;
      disk.probe_error = probed.error;
    }
    disks.push_back(std::move(disk));
  }
  return disks;
}

TargetState InspectTarget(const Paths& paths, const std::string& point, const std::vector<MountEntry>& mounts) {
  TargetState state;
  // Every component, without following links: mount(8) and mkdir -p would follow a link
  // anywhere (/data -> /etc), and a file in the path only fails after the volumes are made.
  std::string prefix;
  bool exists = true;
  for (const auto& component : fs::path(point)) {
    if (component == "/") continue;
    prefix += "/" + component.string();
    const fs::path host = paths.Host(prefix);
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        exists = false;  // nodeboot creates the rest
        break;
      }
      state.refusal = fmt::format("{} cannot be inspected: {}", prefix, std::strerror(errno));
      return state;
    }
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path to = fs::read_symlink(host, ec);
      state.refusal = fmt::format("{} is a symbolic link (to {}); nodeboot does not mount through links", prefix,
                                  ec ? "?" : to.string());
      return state;
    }
    if (!S_ISDIR(st.st_mode)) {
      state.refusal = fmt::format("{} is not a directory", prefix);
      return state;
    }
  }
  std::error_code ec;
  state.has_content = exists && !fs::is_empty(paths.Host(point), ec);
  const std::string below = point + "/";
  for (const auto& mount : mounts) {
    if (mount.mount_point.starts_with(below)) state.mounts_below.push_back(mount.mount_point);
  }
  return state;
}

Result<Observations> Observe(const Paths& paths, Lvm& lvm, SignatureProbe& probe, const PlanInput& input,
                             const IntentLog& intents) {
  Observations observed;
  observed.intent = intents.Read();
  if (auto text = ReadFile(paths.Host("/proc/self/mountinfo"))) observed.mounts = ParseMountinfo(*text);
  NB_TRY_ASSIGN(observed.lvm, lvm.Report());
  std::set<std::string> known_pvs;
  for (const auto& group : input.spec.groups) {
    const LvmVolumeGroup* vg = observed.lvm.FindVg(group.name);
    if (vg == nullptr || !vg->HasTag(kTag)) continue;
    for (const auto& pv : vg->pvs) known_pvs.insert(pv.name);
  }
  observed.disks = DiscoverDisks(paths, probe, observed.mounts, known_pvs);

  for (const auto& group : input.spec.groups) {
    const LvmVolumeGroup* vg = observed.lvm.FindVg(group.name);
    for (const auto& space : group.spaces) {
      const std::string lv(LogicalVolumeName(space.kind));
      const std::string dm = DmPath(group.name, lv);
      // Read only an LV that is active and resumed (lvm_report.h), through its device node: a
      // suspended device would block the read, and a missing node cannot be opened. Either way
      // the plan activates it first (plan.cc).
      if (vg != nullptr && vg->FindLv(lv) != nullptr && vg->FindLv(lv)->active) {
        if (std::string devnum = probe.DeviceNumber(dm); devnum.empty()) {
          observed.lv_nodes_missing.insert(dm);
        } else {
          observed.lv_devnums[dm] = std::move(devnum);
          observed.lv_filesystems[dm] = probe.FilesystemType(dm);
        }
      }
      const std::string point = MountPoint(space, input.runtime_is_docker);
      observed.targets[point] = InspectTarget(paths, point, observed.mounts);
    }
  }
  return observed;
}

}  // namespace nodeboot::storage
