#include "storage/lvm_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

namespace nodeboot::storage {
namespace {

using nlohmann::json;

std::string Text(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int64_t Number(const json& object, const char* key) {
  const std::string text = Text(object, key);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error(fmt::format("{} is \"{}\", not a number", key, text));
  }
  return value;
}

// An extent or stripe count. lvm keeps these in 32 bits, so a value outside that range is not
// lvm's; refusing it also keeps the sums in LvmLogicalVolume::extents() from overflowing.
int64_t Count(const json& object, const char* key) {
  const int64_t value = Number(object, key);
  if (value < 0 || value > int64_t{std::numeric_limits<uint32_t>::max()}) {
    throw std::runtime_error(fmt::format("{} is {}, not a count lvm can hold", key, value));
  }
  return value;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

LvmPhysicalVolume ParsePv(const json& pv, const std::string& vg) {
  return {Text(pv, "pv_name"), vg, static_cast<uint64_t>(Number(pv, "pv_size")), Count(pv, "pv_pe_count")};
}

const json& Array(const json& entry, const char* key) {
  static const json kEmpty = json::array();
  auto it = entry.find(key);
  return it != entry.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace

int64_t LvmLogicalVolume::extents() const {
  int64_t total = 0;
  for (const auto& segment : segments) total += segment.extents;
  return total;
}

int LvmLogicalVolume::stripes() const { return segments.empty() ? 0 : segments.front().stripes; }

std::vector<std::string> LvmLogicalVolume::devices() const {
  std::vector<std::string> all;
  for (const auto& segment : segments) {
    for (const auto& device : segment.devices) {
      if (std::find(all.begin(), all.end(), device) == all.end()) all.push_back(device);
    }
  }
  return all;
}

bool LvmVolumeGroup::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

const LvmLogicalVolume* LvmVolumeGroup::FindLv(std::string_view lv) const {
  for (const auto& candidate : lvs) {
    if (candidate.name == lv) return &candidate;
  }
  return nullptr;
}

const LvmVolumeGroup* LvmState::FindVg(std::string_view name) const {
  for (const auto& vg : vgs) {
    if (vg.name == name) return &vg;
  }
  return nullptr;
}

const LvmPhysicalVolume* LvmState::FindPv(std::string_view device) const {
  for (const auto& vg : vgs) {
    for (const auto& pv : vg.pvs) {
      if (pv.name == device) return &pv;
    }
  }
  for (const auto& pv : orphan_pvs) {
    if (pv.name == device) return &pv;
  }
  return nullptr;
}

Result<LvmState> ParseLvmFullReport(std::string_view text) {
  try {
    const json document = json::parse(text);
    const json& report = document.at("report");
    if (!report.is_array()) throw std::runtime_error("\"report\" is not a list");
    LvmState state;
    for (const auto& entry : report) {
      const json& vgs = Array(entry, "vg");
      if (vgs.empty()) {
        for (const auto& pv : Array(entry, "pv")) state.orphan_pvs.push_back(ParsePv(pv, ""));
        continue;
      }
      const json& vg_json = vgs.front();
      LvmVolumeGroup vg;
      vg.name = Text(vg_json, "vg_name");
      vg.tags = Split(Text(vg_json, "vg_tags"), ',');
      vg.extent_count = Count(vg_json, "vg_extent_count");
      for (const auto& pv : Array(entry, "pv")) vg.pvs.push_back(ParsePv(pv, vg.name));
      for (const auto& lv_json : Array(entry, "lv")) {
        LvmLogicalVolume lv;
        lv.name = Text(lv_json, "lv_name");
        lv.tags = Split(Text(lv_json, "lv_tags"), ',');
        const std::string attr = Text(lv_json, "lv_attr");
        lv.active = Text(lv_json, "lv_active") == "active" && attr.size() > 4 && attr[4] == 'a';
        lv.dm_path = Text(lv_json, "lv_dm_path");
        lv.uuid = Text(lv_json, "lv_uuid");
        const std::string& uuid = lv.uuid;
        for (const auto& seg : Array(entry, "seg")) {
          if (Text(seg, "lv_uuid") != uuid) continue;
          LvmSegment segment;
          segment.stripes = static_cast<int>(Count(seg, "stripes"));
          segment.extents = Count(seg, "seg_size_pe");
          for (const auto& device : Split(Text(seg, "devices"), ',')) {
            segment.devices.push_back(device.substr(0, device.find('(')));
          }
          lv.segments.push_back(std::move(segment));
        }
        vg.lvs.push_back(std::move(lv));
      }
      state.vgs.push_back(std::move(vg));
    }
    return state;
  } catch (const std::exception& e) {
    return errors::StorageCommandFailed(fmt::format("lvm fullreport: cannot read its JSON: {}", e.what()));
  }
}

}  // namespace nodeboot::storage
