// ParseLvmFullReport (storage/lvm_report.h) on arbitrary text, and the accessors the planner
// uses on what it returns.
//   - Never throws: any malformed report is an Error (exit 22) naming lvm fullreport.
//   - What it returns is self-consistent: every VG, LV and PV is found by its own name, tags
//     and device names are non-empty, device names carry no "(extent)" suffix, and the
//     derived numbers (extents, stripes) are computed without overflow (UBSan watches).
#include "storage/lvm_report.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nodeboot;
  auto state = storage::ParseLvmFullReport(fuzz::AsText(data, size));
  if (!state) {
    FUZZ_CHECK(state.error().exit_code == exit_code::kStorageCommandFailed);
    FUZZ_CHECK(state.error().message.starts_with("lvm fullreport: "));
    return 0;
  }
  for (const auto& vg : state->vgs) {
    FUZZ_CHECK(state->FindVg(vg.name) != nullptr);
    for (const auto& tag : vg.tags) FUZZ_CHECK(!tag.empty() && vg.HasTag(tag));
    for (const auto& pv : vg.pvs) {
      FUZZ_CHECK(pv.vg == vg.name);
      FUZZ_CHECK(state->FindPv(pv.name) != nullptr);
    }
    for (const auto& lv : vg.lvs) {
      FUZZ_CHECK(vg.FindLv(lv.name) != nullptr);
      for (const auto& tag : lv.tags) FUZZ_CHECK(!tag.empty());
      (void)lv.extents();
      FUZZ_CHECK(lv.segments.empty() ? lv.stripes() == 0 : lv.stripes() == lv.segments[0].stripes);
      for (const auto& device : lv.devices()) FUZZ_CHECK(device.find('(') == std::string::npos);
    }
  }
  for (const auto& pv : state->orphan_pvs) {
    FUZZ_CHECK(pv.vg.empty());
    FUZZ_CHECK(state->FindPv(pv.name) != nullptr);
  }
  return 0;
}
