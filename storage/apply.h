// Carrying out a plan, then proving it: every action in order (lvm through the facade, the
// rest through the runner, /etc/fstab through HostFiles), and afterwards a fresh read of LVM
// and the mounts that must show each volume with its exact extents, stripes, devices,
// filesystem and mount point.
#pragma once

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/base/paths.h"
#include "storage/lvm.h"
#include "storage/plan.h"
#include "storage/signature_probe.h"

namespace nodeboot::storage {

struct ApplyContext {
  const Paths& paths;
  CommandRunner& runner;
  HostFiles& files;
  Lvm& lvm;
  SignatureProbe& probe;
  bool dry_run = false;
};

// Exit 22 when a command fails (naming it, its object and its stderr's first line); exit 21
// when an LV turns out to carry a filesystem other than the plan's just before mkfs.
Status ApplyPlan(const Plan& plan, ApplyContext& context);

// Exit 22 (NB-STORAGE-VERIFY-FAILED) naming the first difference.
Status VerifyPlan(const Plan& plan, ApplyContext& context);

}  // namespace nodeboot::storage
