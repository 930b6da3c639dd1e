// LVM's state, from one `lvm fullreport --reportformat json --units b --nosuffix` (pure
// parsing; lvm 2.03.16 prints every value as a string). The report has one entry per VG
// (vg, pv, lv, pvseg, seg) and one without `vg` for the orphan PVs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/result.h"

namespace nodeboot::storage {

struct LvmSegment {
  int stripes = 1;
  int64_t extents = 0;               // seg_size_pe
  std::vector<std::string> devices;  // "/dev/vda", from "/dev/vda(0),/dev/vdb(0)"
};

struct LvmLogicalVolume {
  std::string name;
  std::vector<std::string> tags;
  // Active, and usable: lv_active "active" and lv_attr's state 'a' - not suspended ('s': a read
  // would block), not without a table ('d', 'X': what a kill inside lvcreate can leave).
  bool active = false;
  std::string dm_path;  // "/dev/mapper/vgpaas-dockersys"
  std::vector<LvmSegment> segments;
  std::string uuid;  // lv_uuid, with lvm's dashes

  int64_t extents() const;
  int stripes() const;  // of the first segment (nodeboot makes single-segment LVs)
  std::vector<std::string> devices() const;
};

struct LvmPhysicalVolume {
  std::string name;  // "/dev/vdb"
  std::string vg;    // "" for an orphan PV
  uint64_t size_bytes = 0;
  int64_t extents = 0;  // pv_pe_count
};

struct LvmVolumeGroup {
  std::string name;
  std::vector<std::string> tags;
  int64_t extent_count = 0;  // what LVs are sized from (the VG lvm really made)
  std::vector<LvmPhysicalVolume> pvs;
  std::vector<LvmLogicalVolume> lvs;

  bool HasTag(std::string_view tag) const;
  const LvmLogicalVolume* FindLv(std::string_view lv) const;
};

struct LvmState {
  std::vector<LvmVolumeGroup> vgs;
  std::vector<LvmPhysicalVolume> orphan_pvs;

  const LvmVolumeGroup* FindVg(std::string_view name) const;
  // The PV on `device`, in a VG or orphan; null when the device is not a PV.
  const LvmPhysicalVolume* FindPv(std::string_view device) const;
};

// An Error names what is malformed; never a partial state.
Result<LvmState> ParseLvmFullReport(std::string_view json);

}  // namespace nodeboot::storage
