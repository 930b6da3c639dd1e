// nodeTemplate.storage (CCE's storageSelectors / storageGroups / virtualSpaces) and the legacy
// DockerLVMConfigOverride, checked against every rule of SPEC §4 that needs no disk.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "agent/config/fields.h"
#include "agent/config/sections.h"
#include "storage/legacy_override.h"

namespace nodeboot::config {
namespace {

using Unknown = Fields::UnknownKeys;
using storage::Group;
using storage::LvType;
using storage::Selector;
using storage::SpaceKind;
using storage::Spec;
using storage::StorageType;
using storage::VirtualSpace;

// Where each parsed group and space stands in the file, for errors found after parsing.
struct Location {
  std::string path;
  int line = 0;
};
struct Locations {
  std::vector<Location> groups;
  std::vector<std::vector<Location>> spaces;  // [group][space], parallel to Spec
};

// "90%" -> 90; CCE sizes are whole percentages of the group.
std::optional<int> ParsePercent(std::string_view text) {
  if (!text.ends_with('%')) return std::nullopt;
  text.remove_suffix(1);
  const auto value = ParseInteger(text);
  if (!value || text.front() == '+' || text.front() == '-') return std::nullopt;
  return int(std::min<int64_t>(*value, 1000));
}

// LVM's rule for VG names, minus the reserved prefixes it refuses.
std::string CheckVgName(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 127) return "must be at most 127 characters";
  if (name == "." || name == ".." || name.front() == '-')
    return fmt::format("\"{}\" is not a valid volume group name", name);
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return fmt::format("\"{}\" may hold only letters, digits, '+', '_', '.' and '-' (LVM's rule)", name);
  }
  return "";
}

bool IsUnder(std::string_view path, std::string_view dir) {
  return path == dir || (path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

// SPEC §4: absolute; letters, digits, '.', '-', '_', '/'; not '/', not under /proc, /sys,
// /dev; no '..'.
std::string CheckUserPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return fmt::format("must be an absolute path, got \"{}\"", path);
  for (char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == '/';
    if (!ok) return fmt::format("\"{}\" may hold only letters, digits, '.', '-', '_' and '/'", path);
  }
  std::string_view rest = path;
  while (!rest.empty()) {
    rest.remove_prefix(1);
    const auto end = std::min(rest.find('/'), rest.size());
    const auto part = rest.substr(0, end);
    if (part == "..") return fmt::format("\"{}\" must not contain '..'", path);
    if (part == "." || (part.empty() && end < rest.size())) return fmt::format("\"{}\" is not a normalised path", path);
    rest.remove_prefix(end);
  }
  if (path.size() > 1 && path.back() == '/') return fmt::format("\"{}\" must not end with '/'", path);
  if (path == "/") return "must not be / itself";
  for (std::string_view system : {"/proc", "/sys", "/dev"}) {
    if (IsUnder(path, system))
      return fmt::format("\"{}\" is under {}, which is not a place for a data volume", path, system);
  }
  return "";
}

// Rules over the whole spec that both sources share: sums per group, mount points distinct
// and not nested in one another. `where` names the path of group i / space j.
void CheckLayout(const Spec& spec, bool runtime_is_docker, const Locations& where, ConfigErrors& errors) {
  struct Mount {
    std::string point;
    size_t group, space;
  };
  std::vector<Mount> mounts;
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    const Group& group = spec.groups[g];
    int sum = 0;
    for (const auto& space : group.spaces) sum += space.percent;
    if (sum > 100) {
      const auto& [path, line] = where.groups[g];
      errors.push_back({path, fmt::format("virtual space sizes add up to {}%, more than 100%", sum), line});
    }
    for (size_t s = 0; s < group.spaces.size(); ++s) {
      const std::string point = storage::MountPoint(group.spaces[s], runtime_is_docker);
      if (point.empty()) continue;
      for (const Mount& other : mounts) {
        if (IsUnder(point, other.point) || IsUnder(other.point, point)) {
          const auto& [path, line] = where.spaces[g][s];
          errors.push_back(
              {path,
               fmt::format("mount point {} {} {} of {} in group {}", point,
                           point == other.point ? "is the same as" : "overlaps", other.point,
                           Name(spec.groups[other.group].spaces[other.space].kind), spec.groups[other.group].name),
               line});
          break;
        }
      }
      mounts.push_back({point, g, s});
    }
  }
}

void ParseSelectors(const Document* list, Spec& spec, ConfigErrors& errors) {
  std::set<std::string> names;
  bool have_local = false;
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    Fields fields(&list->items[i], IndexPath("nodeTemplate.storage.storageSelectors", i), errors, Unknown::kIgnore);
    if (!fields.present()) {
      fields.FailHere("must be a mapping with name and storageType");
      continue;
    }
    Selector selector;
    if (auto name = fields.String("name")) {
      if (name->empty())
        fields.Fail("name", "must not be empty");
      else if (!names.insert(*name).second)
        fields.Fail("name", fmt::format("selector \"{}\" is defined twice", *name));
      selector.name = *name;
    } else {
      fields.Fail("name", "required");
    }
    const auto type = fields.Enum("storageType", {"evs", "local"});
    if (!type && !fields.Has("storageType")) fields.Fail("storageType", "required: evs or local");
    if (type == "local") {
      selector.type = StorageType::kLocal;
      if (have_local)
        fields.Fail("storageType",
                    "only one storageSelector may be of storageType local (all local disks form one VG)");
      have_local = true;
      if (fields.Has("matchLabels"))
        fields.Fail("matchLabels", "a local selector takes every local disk and has no matchLabels");
    } else {
      Fields labels(fields.Map("matchLabels"), fields.PathOf("matchLabels"), errors, Unknown::kRefuse);
      selector.match.size_gib = labels.Integer("size", 1, 1 << 20);
      selector.match.volume_type = labels.String("volumeType");
      if (auto encrypted = labels.String("metadataEncrypted")) {
        if (*encrypted != "0" && *encrypted != "1")
          labels.Fail("metadataEncrypted", fmt::format("must be \"1\" or \"0\", got \"{}\"", *encrypted));
        else
          selector.match.encrypted = *encrypted == "1";
      }
      if (auto cmk = labels.String("metadataCmkid")) {
        if (cmk->empty()) labels.Fail("metadataCmkid", "must not be empty");
        if (selector.match.encrypted == false)
          labels.Fail("metadataCmkid", "set together with metadataEncrypted \"0\"");
        selector.match.cmk_id = *cmk;
      }
      if (auto count = labels.Integer("count", 1, 1024)) selector.match.count = int(*count);
      labels.Finish();
    }
    fields.Finish();
    spec.selectors.push_back(std::move(selector));
  }
}

std::optional<VirtualSpace> ParseSpace(Fields& fields, bool cce_managed) {
  VirtualSpace space;
  const auto name = fields.Enum("name", {"runtime", "kubernetes", "user"});
  if (!name) {
    if (!fields.Has("name")) fields.Fail("name", "required: runtime, kubernetes or user");
    return std::nullopt;
  }
  space.kind = *name == "runtime"      ? SpaceKind::kRuntime
               : *name == "kubernetes" ? SpaceKind::kKubernetes
                                       : SpaceKind::kUser;
  if (space.kind != SpaceKind::kUser && !cce_managed) {
    fields.Fail("name", fmt::format("the {} space belongs only in the cceManaged group (vgpaas)", *name));
  }
  if (auto size = fields.String("size")) {
    const auto percent = ParsePercent(*size);
    if (!percent)
      fields.Fail("size", fmt::format("must be a whole percentage like \"90%\", got \"{}\"", *size));
    else if (*percent < 1 || *percent > 100)
      fields.Fail("size", fmt::format("must be from 1% to 100%, got \"{}\"", *size));
    else
      space.percent = *percent;
  } else {
    fields.Fail("size", "required: a whole percentage of the group like \"10%\"");
  }
  // runtimeConfig configures the runtime space; lvmConfig the kubernetes and user spaces.
  const std::string_view config_key = space.kind == SpaceKind::kRuntime ? "runtimeConfig" : "lvmConfig";
  const std::string_view wrong_key = space.kind == SpaceKind::kRuntime ? "lvmConfig" : "runtimeConfig";
  if (fields.Has(wrong_key)) {
    fields.Fail(wrong_key, fmt::format("does not apply to the {} space; use {}", *name, config_key));
  }
  Fields config(fields.Map(config_key), fields.PathOf(config_key), fields.errors_ref(), Unknown::kIgnore);
  if (config.Enum("lvType", {"linear", "striped"}) == "striped") space.lv_type = LvType::kStriped;
  if (auto path = config.String("path")) {
    if (space.kind != SpaceKind::kUser)
      config.Fail("path", "takes effect only in the user space");
    else
      space.path = *path;
  }
  if (space.kind == SpaceKind::kUser && space.path.empty() && !config.Has("path")) {
    fields.Fail(config_key, "the user space needs lvmConfig.path: where to mount it");
  }
  if (space.kind == SpaceKind::kUser && !space.path.empty()) {
    if (auto why = CheckUserPath(space.path); !why.empty()) config.Fail("path", why);
  }
  config.Finish();
  return space;
}

void ParseGroups(const Document* list, Spec& spec, Locations& where, ConfigErrors& errors) {
  std::set<std::string> names;
  std::map<std::string, std::string> owner;  // selector -> group that uses it
  int managed = 0;
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    const std::string path = IndexPath("nodeTemplate.storage.storageGroups", i);
    Fields fields(&list->items[i], path, errors, Unknown::kIgnore);
    if (!fields.present()) {
      fields.FailHere("must be a mapping with name, selectorNames and virtualSpaces");
      continue;
    }
    Group group;
    if (auto name = fields.String("name")) {
      if (auto why = CheckVgName(*name); !why.empty())
        fields.Fail("name", why);
      else if (!names.insert(*name).second)
        fields.Fail("name", fmt::format("group \"{}\" is defined twice", *name));
      group.name = *name;
    } else {
      fields.Fail("name", "required: the volume group's name");
    }
    group.cce_managed = fields.Bool("cceManaged").value_or(false);
    if (group.cce_managed) {
      if (++managed > 1) {
        fields.Fail("cceManaged", "only one storage group may be cceManaged");
      } else if (!group.name.empty() && group.name != storage::kCceManagedGroup) {
        fields.Fail("name", fmt::format("the cceManaged group must be named vgpaas, got \"{}\"", group.name));
      }
    } else if (group.name == storage::kCceManagedGroup) {
      fields.Fail("cceManaged", "the group named vgpaas must be the cceManaged one");
    }
    if (const Document* selectors = fields.List("selectorNames"); selectors && !selectors->items.empty()) {
      for (size_t s = 0; s < selectors->items.size(); ++s) {
        const Document& item = selectors->items[s];
        const std::string item_path = IndexPath(fields.PathOf("selectorNames"), s);
        if (!item.is_scalar()) {
          errors.push_back({item_path, "must be a selector name", item.line});
          continue;
        }
        const bool exists = std::any_of(spec.selectors.begin(), spec.selectors.end(),
                                        [&](const Selector& sel) { return sel.name == item.scalar; });
        if (!exists) {
          errors.push_back({item_path, fmt::format("no storageSelector is named \"{}\"", item.scalar), item.line});
        } else if (auto [it, inserted] = owner.emplace(item.scalar, group.name); !inserted) {
          errors.push_back({item_path,
                            it->second == group.name
                                ? fmt::format("selector \"{}\" is listed twice", item.scalar)
                                : fmt::format("selector \"{}\" already belongs to group \"{}\"; a selector "
                                              "belongs to at most one group",
                                              item.scalar, it->second),
                            item.line});
        }
        group.selector_names.push_back(item.scalar);
      }
    } else if (!fields.Has("selectorNames") || selectors) {
      fields.Fail("selectorNames", "required: at least one storageSelector name");
    }
    const Document* spaces = fields.List("virtualSpaces");
    std::set<SpaceKind> kinds;
    std::vector<Location> space_locations;
    for (size_t s = 0; spaces && s < spaces->items.size(); ++s) {
      Fields space_fields(&spaces->items[s], IndexPath(fields.PathOf("virtualSpaces"), s), errors, Unknown::kIgnore);
      if (!space_fields.present()) {
        space_fields.FailHere("must be a mapping with name and size");
        continue;
      }
      auto space = ParseSpace(space_fields, group.cce_managed);
      space_fields.Finish();
      if (!space) continue;
      if (!kinds.insert(space->kind).second) {
        space_fields.Fail("name", fmt::format("a group has at most one {} space", Name(space->kind)));
        continue;
      }
      group.spaces.push_back(std::move(*space));
      space_locations.push_back({space_fields.path(), space_fields.line()});
    }
    if (!spaces || spaces->items.empty()) {
      if (!spaces && fields.Has("virtualSpaces")) {
        // already reported: not a list
      } else {
        fields.Fail("virtualSpaces", "required: at least one virtual space");
      }
    }
    if (group.cce_managed && !kinds.empty()) {
      for (SpaceKind needed : {SpaceKind::kRuntime, SpaceKind::kKubernetes}) {
        if (!kinds.contains(needed))
          fields.Fail("virtualSpaces", fmt::format("the cceManaged group needs a {} space", Name(needed)));
      }
    }
    fields.Finish();
    spec.groups.push_back(std::move(group));
    where.groups.push_back({path, fields.line()});
    where.spaces.push_back(std::move(space_locations));
  }
  if (list && managed == 0) {
    errors.push_back({"nodeTemplate.storage.storageGroups", "exactly one group must be cceManaged: true (named vgpaas)",
                      list->line});
  }
}

// A striped space needs two PVs at least; when every selector of its group is capped by
// `count`, a total below two is knowable without looking at a disk.
void CheckStripeCounts(const Spec& spec, ConfigErrors& errors, int line) {
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    const Group& group = spec.groups[g];
    const bool striped = std::any_of(group.spaces.begin(), group.spaces.end(),
                                     [](const VirtualSpace& s) { return s.lv_type == LvType::kStriped; });
    if (!striped) continue;
    int total = 0;
    bool capped = true;
    for (const auto& name : group.selector_names) {
      for (const auto& selector : spec.selectors) {
        if (selector.name != name) continue;
        if (!selector.match.count)
          capped = false;
        else
          total += *selector.match.count;
      }
    }
    if (capped && total < 2 && !group.selector_names.empty()) {
      errors.push_back(
          {IndexPath("nodeTemplate.storage.storageGroups", g),
           fmt::format("a striped space needs at least 2 disks, but the group's selectors take at most {}", total),
           line});
    }
  }
}

}  // namespace

std::optional<Spec> ParseStorage(const Document* storage_doc, const Document* legacy_override, int legacy_line,
                                 bool runtime_is_docker, ConfigErrors& errors) {
  const size_t errors_before = errors.size();
  if (storage_doc != nullptr && !storage_doc->is_null()) {
    Fields fields(storage_doc, "nodeTemplate.storage", errors, Unknown::kIgnore);
    if (!fields.present()) return std::nullopt;
    Spec spec;
    const Document* selectors = fields.List("storageSelectors");
    if (!selectors || selectors->items.empty()) {
      if (!fields.Has("storageSelectors") || selectors)
        fields.Fail("storageSelectors", "required: at least one selector");
    }
    ParseSelectors(selectors, spec, errors);
    const Document* groups = fields.List("storageGroups");
    if (!groups || groups->items.empty()) {
      if (!fields.Has("storageGroups") || groups) fields.Fail("storageGroups", "required: at least one group (vgpaas)");
    }
    Locations where;
    ParseGroups(groups, spec, where, errors);
    fields.Finish();
    // Rules across groups only make sense once every group parsed cleanly.
    if (errors.size() == errors_before) {
      CheckLayout(spec, runtime_is_docker, where, errors);
      CheckStripeCounts(spec, errors, groups ? groups->line : 0);
    }
    spec.source = Spec::Source::kStorage;
    return spec;
  }
  if (legacy_override != nullptr) {
    const std::string path = "nodeTemplate.extendParam.DockerLVMConfigOverride";
    if (!legacy_override->is_scalar()) {
      errors.push_back(
          {path, "must be a string like \"dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG\"", legacy_line});
      return std::nullopt;
    }
    auto parsed = storage::ParseLegacyOverride(legacy_override->scalar);
    for (const auto& message : parsed.errors) errors.push_back({path, message, legacy_line});
    for (const auto& space : parsed.spec.groups.front().spaces) {
      if (space.kind == SpaceKind::kUser && !space.path.empty()) {
        if (auto why = CheckUserPath(space.path); !why.empty())
          errors.push_back({path, "userPath: " + why, legacy_line});
      }
    }
    if (errors.size() == errors_before) {
      Locations where{{{path, legacy_line}}, {{}}};
      where.spaces[0].assign(parsed.spec.groups[0].spaces.size(), {path, legacy_line});
      CheckLayout(parsed.spec, runtime_is_docker, where, errors);
    }
    return parsed.spec;
  }
  return std::nullopt;
}

}  // namespace nodeboot::config
