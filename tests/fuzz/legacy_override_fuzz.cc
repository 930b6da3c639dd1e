// ParseLegacyOverride (storage/legacy_override.h) on arbitrary text.
//   - Always one selector and one cceManaged vgpaas group (the shape the planner expects),
//     and every error is a non-empty message.
//   - A string it accepts has the runtime and kubernetes spaces with whole percentages
//     1..100, one LV type for all spaces, a path on the user space only; and the canonical
//     string written back from the Spec parses to the same Spec.
#include <string>

#include "storage/legacy_override.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace nodeboot::storage;

std::string Canonical(const Spec& spec) {
  const Selector& selector = spec.selectors[0];
  std::string disk_type = "evs";
  if (selector.type == StorageType::kLocal) {
    disk_type = !selector.match.rotational ? "local" : *selector.match.rotational ? "hdd" : "ssd";
  }
  std::string text;
  const auto& spaces = spec.groups[0].spaces;
  for (const auto& space : spaces) {
    const char* key = space.kind == SpaceKind::kRuntime      ? "dockerThinpool"
                      : space.kind == SpaceKind::kKubernetes ? "kubernetesLV"
                                                             : "userLV";
    text += std::string(key) + "=vgpaas/" + std::to_string(space.percent) + "%VG;";
    if (space.kind == SpaceKind::kUser) text += "userPath=" + space.path + ";";
  }
  text += "diskType=" + disk_type + ";lvType=";
  text += spaces[0].lv_type == LvType::kStriped ? "striped" : "linear";
  return text;
}

bool SameSpec(const Spec& a, const Spec& b) {
  if (a.selectors.size() != b.selectors.size() || a.groups.size() != b.groups.size()) return false;
  const auto& sa = a.selectors[0];
  const auto& sb = b.selectors[0];
  if (sa.name != sb.name || sa.type != sb.type || sa.match.rotational != sb.match.rotational) return false;
  const auto& ga = a.groups[0];
  const auto& gb = b.groups[0];
  if (ga.name != gb.name || ga.cce_managed != gb.cce_managed || ga.selector_names != gb.selector_names ||
      ga.spaces.size() != gb.spaces.size()) {
    return false;
  }
  for (size_t i = 0; i < ga.spaces.size(); ++i) {
    const auto& x = ga.spaces[i];
    const auto& y = gb.spaces[i];
    if (x.kind != y.kind || x.percent != y.percent || x.lv_type != y.lv_type || x.path != y.path) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto result = ParseLegacyOverride(nodeboot::fuzz::AsText(data, size));
  const Spec& spec = result.spec;
  FUZZ_CHECK(spec.source == Spec::Source::kLegacyOverride);
  FUZZ_CHECK(spec.selectors.size() == 1 && spec.groups.size() == 1);
  FUZZ_CHECK(spec.groups[0].name == kCceManagedGroup && spec.groups[0].cce_managed);
  FUZZ_CHECK(spec.groups[0].selector_names.size() == 1 && spec.groups[0].selector_names[0] == spec.selectors[0].name);
  for (const auto& error : result.errors) FUZZ_CHECK(!error.empty());
  if (!result.errors.empty()) return 0;

  const auto& spaces = spec.groups[0].spaces;
  FUZZ_CHECK(spaces.size() == 2 || spaces.size() == 3);
  FUZZ_CHECK(spaces[0].kind == SpaceKind::kRuntime && spaces[1].kind == SpaceKind::kKubernetes);
  for (const auto& space : spaces) {
    FUZZ_CHECK(space.percent >= 1 && space.percent <= 100);
    FUZZ_CHECK(space.lv_type == spaces[0].lv_type);
    FUZZ_CHECK(space.kind == SpaceKind::kUser ? !space.path.empty() : space.path.empty());
  }
  const auto again = ParseLegacyOverride(Canonical(spec));
  FUZZ_CHECK(again.errors.empty());
  FUZZ_CHECK(SameSpec(spec, again.spec));
  return 0;
}
