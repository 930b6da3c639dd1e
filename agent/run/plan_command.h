// `nodeboot plan` (SPEC §4): one read-only pass of the storage phase's loop (observe, plan),
// printed as text or as SPEC §4's JSON.
#pragma once

#include <string>

#include "agent/run/host.h"

namespace nodeboot::run {

// Prints the plan on stdout; the exit code is 0, or that of the problem that stops the layout
// (2, 20, 21, 22).
int PrintPlan(const std::string& root, const std::string& config_path, bool json, Host& host);

}  // namespace nodeboot::run
