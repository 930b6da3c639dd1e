// The preInstall and postInstall phases (SPEC §5): the decoded script is written to
// /var/lib/nodeboot/scripts/ (dir 0700, file 0700) and run by its shebang, else /bin/bash,
// from /, with stdin from /dev/null and NODE_NAME, NODEBOOT_PHASE, NODEBOOT_INSTANCE_ID set.
// Each output line goes to the agent log; the last 64 KiB are kept for state and the report.
// On timeout, or when nodeboot is stopped (ShutdownSignals), the script's whole process group gets
// SIGTERM, then SIGKILL 10 s later; a stopped script is NB-*-INTERRUPTED. A script asks for a
// reboot by creating the file named by $NODEBOOT_REBOOT_REQUEST and exiting 0 (README "A killed,
// stopped or rebooted run").
#pragma once

#include <memory>

#include "agent/run/phase.h"

namespace nodeboot::scripts {

enum class Which { kPreInstall, kPostInstall };

std::unique_ptr<run::Phase> MakeScriptPhase(Which which);

}  // namespace nodeboot::scripts
