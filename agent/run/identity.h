// Who this node is for this run: the node name, the instance id that scopes "already done"
// (an image cloned from a used node has a new instance id and starts fresh), the boot id, and
// a fresh run id (the report's idempotency key).
#pragma once

#include <string>

#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/config/node_config.h"

namespace nodeboot::run {

struct Identity {
  std::string node_name;
  std::string instance_id;
  std::string boot_id;
  std::string run_id;
};

// node.name, else the host name; node.instanceId, else /var/lib/cloud/data/instance-id, else
// /etc/machine-id (both under the root). No instance id at all is an error (exit 2): without
// one, "run each script once" cannot be kept.
Result<Identity> ResolveIdentity(const config::NodeConfig& config, const Paths& paths);

// A random RFC 4122 version 4 UUID.
std::string NewUuid();

}  // namespace nodeboot::run
