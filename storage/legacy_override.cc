#include "storage/legacy_override.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <optional>
#include <set>

namespace nodeboot::storage {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "vgpaas/90%VG" -> 90. Anything but the vgpaas VG and a whole %VG percentage is refused:
// %FREE and absolute sizes would make the layout depend on what happened to be on the disk.
std::optional<int> ParseVgPercent(std::string_view key, std::string_view value, std::vector<std::string>& errors) {
  const auto slash = value.find('/');
  if (slash == std::string_view::npos) {
    errors.push_back(fmt::format("{}: expected \"vgpaas/N%VG\", got \"{}\"", key, value));
    return std::nullopt;
  }
  const std::string_view vg = value.substr(0, slash);
  std::string_view size = value.substr(slash + 1);
  if (vg != kCceManagedGroup) {
    errors.push_back(fmt::format("{}: volume group must be \"vgpaas\", got \"{}\"", key, vg));
    return std::nullopt;
  }
  if (size.ends_with("%FREE")) {
    errors.push_back(
        fmt::format("{}: %FREE is not supported, use a whole percentage of the VG like \"vgpaas/90%VG\"", key));
    return std::nullopt;
  }
  if (!size.ends_with("%VG")) {
    errors.push_back(
        fmt::format("{}: size must be a whole percentage of the VG like \"90%VG\", got \"{}\"", key, size));
    return std::nullopt;
  }
  size.remove_suffix(3);
  int percent = 0;
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), percent);
  if (size.empty() || ec != std::errc() || end != size.data() + size.size() || percent < 1 || percent > 100) {
    errors.push_back(fmt::format("{}: percentage must be a whole number from 1 to 100, got \"{}%VG\"", key, size));
    return std::nullopt;
  }
  return percent;
}

}  // namespace

LegacyOverrideResult ParseLegacyOverride(std::string_view text) {
  LegacyOverrideResult result;
  auto& errors = result.errors;
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> repeated_reported;
  static const std::set<std::string_view> kKeys = {"dockerThinpool", "kubernetesLV", "userLV",
                                                   "userPath",       "diskType",     "lvType"};
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const std::string_view item = Trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;  // tolerate a trailing ';'
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      errors.push_back(fmt::format("\"{}\": expected key=value", item));
      continue;
    }
    const std::string key(Trim(item.substr(0, eq)));
    const std::string value(Trim(item.substr(eq + 1)));
    if (!kKeys.contains(key)) {
      errors.push_back(fmt::format(
          "{}: unknown key (known: dockerThinpool, kubernetesLV, userLV, userPath, diskType, lvType)", key));
      continue;
    }
    if (values.contains(key)) {
      if (repeated_reported.insert(key).second) errors.push_back(fmt::format("{}: repeated key", key));
      continue;
    }
    values.emplace(key, value);
  }

  Group group{std::string(kCceManagedGroup), true, {"legacyOverride"}, {}};
  LvType lv_type = LvType::kLinear;
  if (auto it = values.find("lvType"); it != values.end()) {
    if (it->second == "striped")
      lv_type = LvType::kStriped;
    else if (it->second != "linear")
      errors.push_back(fmt::format("lvType: must be linear or striped, got \"{}\"", it->second));
  }
  Selector selector{"legacyOverride", StorageType::kEvs, {}};
  if (auto it = values.find("diskType"); it != values.end()) {
    // evs: every EVS data disk; local: every local disk; ssd/hdd: local disks by rotation.
    if (it->second == "local") {
      selector.type = StorageType::kLocal;
    } else if (it->second == "ssd" || it->second == "hdd") {
      selector.type = StorageType::kLocal;
      selector.match.rotational = it->second == "hdd";
    } else if (it->second != "evs") {
      errors.push_back(fmt::format("diskType: must be evs, ssd, hdd or local, got \"{}\"", it->second));
    }
  }
  struct SpaceKey {
    std::string_view key;
    SpaceKind kind;
  };
  for (const SpaceKey& space :
       {SpaceKey{"dockerThinpool", SpaceKind::kRuntime}, SpaceKey{"kubernetesLV", SpaceKind::kKubernetes},
        SpaceKey{"userLV", SpaceKind::kUser}}) {
    auto it = values.find(space.key);
    if (it == values.end()) {
      if (space.kind != SpaceKind::kUser) {
        errors.push_back(
            fmt::format("{}: required (the vgpaas group needs both the runtime and the kubernetes space)", space.key));
      }
      continue;
    }
    if (auto percent = ParseVgPercent(space.key, it->second, errors)) {
      group.spaces.push_back(VirtualSpace{space.kind, *percent, lv_type, ""});
    }
  }
  const bool has_user = values.contains("userLV");
  if (auto it = values.find("userPath"); it != values.end()) {
    if (!has_user) {
      errors.push_back("userPath: set without userLV");
    } else if (it->second.empty()) {
      // An empty `userPath=` is no mount point: it would reach fstab as an empty field.
      errors.push_back("userPath: must be where to mount userLV, got \"\"");
    }
    for (auto& space : group.spaces) {
      if (space.kind == SpaceKind::kUser) space.path = it->second;
    }
  } else if (has_user) {
    errors.push_back("userLV: needs userPath=/path for where to mount it");
  }
  result.spec.source = Spec::Source::kLegacyOverride;
  result.spec.selectors.push_back(std::move(selector));
  result.spec.groups.push_back(std::move(group));
  return result;
}

}  // namespace nodeboot::storage
