// The legacy extendParam.DockerLVMConfigOverride string (SPEC §4), e.g.
//   dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear
// mapped onto the same Spec as the `storage` object: one cceManaged `vgpaas` group over every
// data disk of `diskType`. Pure: a string in, a Spec or every problem found out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/spec.h"

namespace nodeboot::storage {

struct LegacyOverrideResult {
  Spec spec;
  std::vector<std::string> errors;  // each names the key it is about; empty when valid
};

LegacyOverrideResult ParseLegacyOverride(std::string_view text);

}  // namespace nodeboot::storage
