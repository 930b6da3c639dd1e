// Internal to agent/config: the parsers of the config's parts, each collecting its errors.
#pragma once

#include "agent/base/paths.h"
#include "agent/config/config_error.h"
#include "agent/config/document.h"
#include "agent/config/node_config.h"

namespace nodeboot::config {

// nodeTemplate (unknown keys ignored: the cloud's API grows). `has_inventory` tells whether
// `disks:` is given, which makes equal-sized dataVolumes with different attributes fine.
void ParseNodeTemplate(const Document* doc, bool has_inventory, NodeTemplate& out, ConfigErrors& errors);

// nodeTemplate.storage, or the legacy extendParam.DockerLVMConfigOverride when it is absent;
// both checked against the same rules of SPEC §4.
std::optional<storage::Spec> ParseStorage(const Document* storage, const Document* legacy_override, int legacy_line,
                                          bool runtime_is_docker, ConfigErrors& errors);

}  // namespace nodeboot::config
