// Carrying out the planner's steps: lvm through the facade, the other commands through the
// runner, /etc/fstab through HostFiles. Every step that changes a disk or a volume (vgcreate,
// vgextend, lvcreate, mkfs with its copy) is announced in the intent record (intent.h) before
// its first command and the record is removed once it succeeded, so a run killed inside any of
// them can be told apart from data by the next run.
#pragma once

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/base/paths.h"
#include "storage/intent.h"
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
  IntentLog& intents;
  bool dry_run = false;  // print every step (the runner and files print), record no intent
};

// Runs the plan's steps of its first stage (plan.h's Stage), in order; under --dry-run all of
// them. Exit 22 when a command fails (naming it, its object
// and its stderr's first line); exit 21 when an LV turns out to carry a filesystem other than
// the plan's just before mkfs.
Status ApplySteps(const Plan& plan, ApplyContext& context);

}  // namespace nodeboot::storage
