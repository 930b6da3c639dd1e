#include "tests/support/fake_storage_host.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/plan.h"

namespace nodeboot::testing {
namespace {

CommandResult Exit(int code, std::string err = "") {
  CommandResult result;
  result.exit_code = code;
  result.err = std::move(err);
  return result;
}

// lvm's options that take a value, and the positional arguments left.
struct LvmArgs {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
};

LvmArgs ParseLvmArgs(const std::vector<std::string>& args) {
  static const std::set<std::string> kWithValue = {
      "--addtag", "--physicalextentsize", "--name",         "--extents", "--stripes", "--devices",
      "--config", "--activate",           "--reportformat", "--units"};
  LvmArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    if (kWithValue.contains(args[i]) && i + 1 < args.size()) {
      parsed.options[args[i]] = args[i + 1];
      ++i;
    } else if (!args[i].starts_with("--")) {
      parsed.positional.push_back(args[i]);
    }
  }
  return parsed;
}

}  // namespace

FakeStorageHost::FakeStorageHost(const TempDir& root) : root_(root) {
  root_.Write("proc/self/mountinfo", "");
  root_.Write("proc/swaps", "Filename Type Size Used Priority\n");
}

void FakeStorageHost::AddDisk(const std::string& name, uint64_t size_bytes, const std::string& serial,
                              uint64_t optimal_io_bytes) {
  const int index = static_cast<int>(sizes_.size());
  root_.Write(fmt::format("sys/block/{}/size", name), std::to_string(size_bytes / 512));
  root_.Write(fmt::format("sys/block/{}/dev", name), fmt::format("254:{}", index * 16));
  if (!serial.empty()) root_.Write(fmt::format("sys/block/{}/serial", name), serial);
  root_.Write(fmt::format("sys/block/{}/queue/optimal_io_size", name), std::to_string(optimal_io_bytes));
  sizes_["/dev/" + name] = size_bytes;
}

int64_t FakeStorageHost::PvExtents(const std::string& device) const {
  const uint64_t size = sizes_.at(device);
  return size <= pe_start ? 0 : static_cast<int64_t>((size - pe_start) / storage::kExtentSize);
}

int64_t FakeStorageHost::FreeOn(const Vg& vg, const std::string& pv) const {
  int64_t used = 0;
  for (const auto& lv : vg.lvs) {
    if (auto it = lv.used.find(pv); it != lv.used.end()) used += it->second;
  }
  return PvExtents(pv) - used;
}

std::string FakeStorageHost::FullReport() const {
  using nlohmann::json;
  json report = json::array();
  for (const auto& [name, vg] : vgs) {
    json pvs = json::array(), lvs = json::array(), segs = json::array();
    int64_t total = 0, free = 0;
    for (const auto& pv : vg.pvs) {
      total += PvExtents(pv);
      free += FreeOn(vg, pv);
      pvs.push_back({{"pv_name", pv},
                     {"pv_size", std::to_string(sizes_.at(pv))},
                     {"pv_pe_count", std::to_string(PvExtents(pv))}});
    }
    for (const auto& lv : vg.lvs) {
      lvs.push_back({{"lv_name", lv.name},
                     {"lv_uuid", lv.uuid},
                     {"lv_tags", "nodeboot"},
                     {"lv_active", lv.active ? "active" : ""},
                     {"lv_attr", fmt::format("-wi-{}-----", !lv.active     ? '-'
                                                            : lv.suspended ? 's'
                                                                           : 'a')},
                     {"lv_suspended", lv.suspended ? "suspended" : ""},
                     {"lv_dm_path", storage::DmPath(name, lv.name)}});
      std::vector<std::string> devices;
      for (const auto& device : lv.devices) devices.push_back(device + "(0)");
      segs.push_back({{"lv_uuid", lv.uuid},
                      {"stripes", std::to_string(lv.stripes)},
                      {"seg_size_pe", std::to_string(lv.extents)},
                      {"devices", fmt::format("{}", fmt::join(devices, ","))}});
    }
    report.push_back({{"vg",
                       {{{"vg_name", name},
                         {"vg_tags", "nodeboot"},
                         {"vg_extent_size", std::to_string(storage::kExtentSize)},
                         {"vg_extent_count", std::to_string(total)},
                         {"vg_free_count", std::to_string(free)}}}},
                      {"pv", pvs},
                      {"lv", lvs},
                      {"seg", segs}});
  }
  json orphans = json::array();
  for (const auto& pv : orphan_pvs) {
    orphans.push_back({{"pv_name", pv}, {"pv_size", std::to_string(sizes_.at(pv))}, {"pv_pe_count", "0"}});
  }
  report.push_back({{"vg", json::array()}, {"pv", orphans}});
  return json{{"report", report}}.dump();
}

CommandResult FakeStorageHost::Lvm(const std::vector<std::string>& args, bool killed) {
  const std::string& verb = args.at(0);
  const LvmArgs parsed = ParseLvmArgs({args.begin() + 1, args.end()});
  if (verb == "fullreport") {
    ++lvm_reads;
    CommandResult result;
    result.out = FullReport();
    return result;
  }
  if (verb == "version") {
    CommandResult result;
    result.out = "  LVM version:     2.03.16(2) (2022-05-18)\n";
    return result;
  }
  if (verb == "vgcreate" || verb == "vgextend") {
    const std::string& name = parsed.positional.at(0);
    const std::vector<std::string> devices(parsed.positional.begin() + 1, parsed.positional.end());
    if (verb == "vgcreate" && vgs.contains(name))
      return Exit(5, fmt::format("  A volume group called {} already exists.", name));
    if (verb == "vgextend" && !vgs.contains(name)) return Exit(5, fmt::format("  Volume group \"{}\" not found", name));
    for (const auto& device : devices) {
      for (const auto& [other, vg] : vgs) {
        if (std::find(vg.pvs.begin(), vg.pvs.end(), device) != vg.pvs.end()) {
          return Exit(5, fmt::format("  Physical volume '{}' is already in volume group '{}'", device, other));
        }
      }
      if (filesystems.contains(device)) {
        return Exit(5, fmt::format("WARNING: {} signature detected on {} at offset 1080. Wipe it? [y/n]: [n]",
                                   filesystems[device], device));
      }
    }
    if (killed) {  // pvcreate done, the VG metadata not yet written
      for (const auto& device : devices) orphan_pvs.insert(device);
      return {};
    }
    Vg& vg = vgs[name];
    vg.name = name;
    for (const auto& device : devices) {
      orphan_pvs.erase(device);
      unrecognised.erase(device);
      vg.pvs.push_back(device);
    }
    return {};
  }
  if (verb == "lvcreate") {
    const std::string& name = parsed.positional.at(0);
    if (!vgs.contains(name)) return Exit(5, fmt::format("  Volume group \"{}\" not found", name));
    Vg& vg = vgs[name];
    Lv lv;
    lv.name = parsed.options.at("--name");
    lv.extents = std::stoll(parsed.options.at("--extents"));
    lv.stripes = parsed.options.contains("--stripes") ? std::stoi(parsed.options.at("--stripes")) : 1;
    lv.uuid = fmt::format("uuid-{:04}", next_uuid_++);
    for (const auto& existing : vg.lvs) {
      if (existing.name == lv.name)
        return Exit(5, fmt::format("  Logical Volume \"{}\" already exists in volume group \"{}\"", lv.name, name));
    }
    if (lv.stripes > static_cast<int>(vg.pvs.size())) {
      return Exit(5, fmt::format("  Number of stripes ({}) must not exceed number of physical volumes ({})", lv.stripes,
                                 vg.pvs.size()));
    }
    const int64_t per_pv = lv.extents / lv.stripes;
    bool allocated = false;
    if (lv.stripes > 1) {  // one stripe on each of the first PVs with room for its share
      for (const auto& pv : vg.pvs) {
        if (static_cast<int>(lv.devices.size()) < lv.stripes && FreeOn(vg, pv) >= per_pv) {
          lv.devices.push_back(pv);
          lv.used[pv] = per_pv;
        }
      }
      allocated = static_cast<int>(lv.devices.size()) == lv.stripes;
    } else {  // linear: from the PVs in order, spanning them
      int64_t left = lv.extents;
      for (const auto& pv : vg.pvs) {
        const int64_t take = std::min(left, FreeOn(vg, pv));
        if (take <= 0) continue;
        lv.devices.push_back(pv);
        lv.used[pv] = take;
        left -= take;
      }
      allocated = left == 0;
    }
    if (!allocated) {
      int64_t free = 0;
      for (const auto& pv : vg.pvs) free += FreeOn(vg, pv);
      return Exit(5, fmt::format("  Volume group \"{}\" has insufficient free space ({} extents): {} required.", name,
                                 free, lv.extents));
    }
    if (killed) {  // lvm has committed the LV; its activation went as far as the test says
      lv.active = lvcreate_killed != LvcreateKilled::kInactive;
      lv.suspended = lvcreate_killed == LvcreateKilled::kSuspended;
      lv.node = lvcreate_killed == LvcreateKilled::kSuspended;
    }
    vg.lvs.push_back(lv);
    return {};
  }
  if (verb == "lvchange") {
    const std::string& full = parsed.positional.at(0);
    const std::string vg_name = full.substr(0, full.find('/'));
    if (!vgs.contains(vg_name)) return Exit(5, fmt::format("  Volume group \"{}\" not found", vg_name));
    for (auto& lv : vgs[vg_name].lvs) {
      if (vg_name + "/" + lv.name != full) continue;
      if (!lv.active) lv.node = true;  // activation makes the node; a live LV keeps what it has
      lv.active = true;
      lv.suspended = false;
      return {};
    }
    return Exit(5, fmt::format("  Failed to find logical volume \"{}\"", full));
  }
  if (verb == "vgmknodes") {
    const std::string& name = parsed.positional.at(0);
    if (!vgs.contains(name)) return Exit(5, fmt::format("  Volume group \"{}\" not found", name));
    for (auto& lv : vgs[name].lvs) lv.node = lv.node || lv.active;
    return {};
  }
  return Exit(3, fmt::format("  No such command '{}'.", verb));
}

Result<CommandResult> FakeStorageHost::Run(const Command& command) {
  const auto& argv = command.argv;
  log.push_back(FormatArgv(argv));
  if (command.changes_system) ++changing_commands;
  const bool killed = kill_when && kill_when(argv);
  CommandResult result;
  const std::string& name = argv.at(0);
  if (name == "lvm") {
    result = Lvm({argv.begin() + 1, argv.end()}, killed);
  } else if (name.starts_with("mkfs.")) {
    const std::string fs = name.substr(5);
    const std::string& device = argv.back();
    const bool force = std::find(argv.begin(), argv.end(), fs == "xfs" ? "-f" : "-F") != argv.end();
    if (const std::string why = UnopenableLv(device); !why.empty()) {
      result = fs == "xfs" ? Exit(1, fmt::format("Error accessing specified device {}: {}", device, why))
                           : Exit(1, fmt::format("The file {} does not exist and no size was specified.", device));
    } else if (filesystems.contains(device) && !force) {
      result = fs == "xfs" ? Exit(1, fmt::format("mkfs.xfs: {} appears to contain an existing filesystem ({}).", device,
                                                 filesystems[device]))
                           : Exit(1, fmt::format("{} contains a {} file system", device, filesystems[device]));
    } else {
      filesystems[device] = fs;
      if (killed)
        half_made.insert(device);
      else
        half_made.erase(device);
    }
  } else if (name == "mount") {
    const std::string& device = argv.at(argv.size() - 2);
    const std::string& target = argv.back();
    if (const std::string why = UnopenableLv(device); !why.empty()) {
      result = Exit(32, fmt::format("mount: {}: special device {} does not exist.", target, device));
    } else if (half_made.contains(device)) {
      result = Exit(32, fmt::format("mount: {}: mount(2) system call failed: Structure needs cleaning.", target));
    } else if (!filesystems.contains(device)) {
      result = Exit(32, fmt::format("mount: {}: wrong fs type, bad option, bad superblock on {}.", target, device));
    } else {
      for (const auto& mount : mounts) {
        if (mount.source == device)
          return Exit(32, fmt::format("mount: {}: {} already mounted on {}.", target, device, mount.target));
      }
      mounts.push_back({device, target, argv.at(2)});
      WriteMountinfo();
    }
  } else if (name == "umount") {
    const auto it =
        std::find_if(mounts.rbegin(), mounts.rend(), [&](const Mount& m) { return m.target == argv.back(); });
    if (it == mounts.rend()) {
      result = Exit(32, fmt::format("umount: {}: not mounted.", argv.back()));
    } else {
      mounts.erase(std::next(it).base());
      WriteMountinfo();
    }
  } else if (name == "mkdir") {
    std::filesystem::create_directories(argv.back());
  } else if (name != "cp") {
    return Error::Internal(fmt::format("{}: not a command the storage host fakes", name));
  }
  if (killed) throw Killed{FormatArgv(argv)};
  return result;
}

storage::ProbeResult FakeStorageHost::Probe(const std::string& device) {
  storage::ProbeResult result;
  if (orphan_pvs.contains(device)) result.signature = "LVM2_member";
  for (const auto& [name, vg] : vgs) {
    if (std::find(vg.pvs.begin(), vg.pvs.end(), device) != vg.pvs.end()) result.signature = "LVM2_member";
  }
  if (filesystems.contains(device)) result.signature = filesystems[device];
  result.unrecognised_data = result.signature.empty() && unrecognised.contains(device);
  return result;
}

std::string FakeStorageHost::FilesystemType(const std::string& device) {
  if (const Lv* lv = LvAt(device); lv != nullptr && lv->suspended) ++blocked_reads;
  return filesystems.contains(device) ? filesystems[device] : "";
}

std::string FakeStorageHost::DeviceNumber(const std::string& device) {
  const Lv* lv = LvAt(device);
  if (lv == nullptr || !lv->active || !lv->node) return "";
  int minor = 0;
  for (const auto& [name, vg] : vgs) {
    for (const auto& each : vg.lvs) {
      if (&each == lv) return fmt::format("253:{}", minor);
      ++minor;
    }
  }
  return "";
}

const FakeStorageHost::Lv* FakeStorageHost::LvAt(const std::string& device) const {
  for (const auto& [name, vg] : vgs) {
    for (const auto& lv : vg.lvs) {
      if (storage::DmPath(name, lv.name) == device) return &lv;
    }
  }
  return nullptr;
}

std::string FakeStorageHost::UnopenableLv(const std::string& device) {
  const Lv* lv = LvAt(device);
  if (lv == nullptr) return "";
  if (lv->suspended) {
    ++blocked_reads;
    return "it is suspended (a real command would block here)";
  }
  return lv->active && lv->node ? "" : "No such file or directory";
}

void FakeStorageHost::WriteMountinfo() const {
  std::string text;
  int id = 100;
  for (const auto& mount : mounts) {
    // Mount points under the root are shown as the host sees them (the root prefix dropped).
    std::string target = mount.target;
    const std::string prefix = root_.path().string();
    if (target.starts_with(prefix)) target = target.substr(prefix.size());
    text += fmt::format("{} 1 253:{} / {} rw - {} {} rw\n", id, id - 100, target, mount.fs, mount.source);
    ++id;
  }
  root_.Write("proc/self/mountinfo", text);
}

std::string FakeStorageHost::Layout() const {
  std::string text;
  for (const auto& [name, vg] : vgs) {
    text += fmt::format("vg {} on {}\n", name, fmt::join(vg.pvs, ","));
    for (const auto& lv : vg.lvs) {
      text += fmt::format("  lv {} {} extents {} stripes on {}\n", lv.name, lv.extents, lv.stripes,
                          fmt::join(lv.devices, ","));
    }
  }
  for (const auto& pv : orphan_pvs) text += fmt::format("orphan pv {}\n", pv);
  for (const auto& [device, fs] : filesystems)
    text += fmt::format("fs {} {}{}\n", device, fs, half_made.contains(device) ? " (half made)" : "");
  for (const auto& mount : mounts) text += fmt::format("mount {} at {}\n", mount.source, mount.target);
  return text;
}

}  // namespace nodeboot::testing
