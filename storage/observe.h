// Observing the host for the planner (impure, read-only): whole disks from /sys/block (under
// the root), mounts from /proc/self/mountinfo, swap from /proc/swaps, signatures from the
// probe, LVM state from one lvm read, and for nodeboot's existing LVs their filesystem and
// whether their mount targets already hold files.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "agent/base/paths.h"
#include "storage/intent.h"
#include "storage/lvm.h"
#include "storage/plan.h"
#include "storage/signature_probe.h"

namespace nodeboot::storage {

// Whole disks only: loop, ram, rom, device-mapper, md, zram and nbd devices are not
// candidates. Signatures are probed only on disks that are not already excluded (the root
// disk is never opened) and are not among `known_pvs` (PVs of nodeboot's VGs, per lvm).
std::vector<Disk> DiscoverDisks(const Paths& paths, SignatureProbe& probe, const std::vector<MountEntry>& mounts,
                                const std::set<std::string>& known_pvs);

// A mount target's state, walking every component under the root without following links.
TargetState InspectTarget(const Paths& paths, const std::string& point, const std::vector<MountEntry>& mounts);

Result<Observations> Observe(const Paths& paths, Lvm& lvm, SignatureProbe& probe, const PlanInput& input,
                             const IntentLog& intents);

}  // namespace nodeboot::storage
