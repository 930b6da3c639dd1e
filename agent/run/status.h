// `nodeboot status` (SPEC §1, §8): the last run from state.json, and what a run in progress is
// doing (the progress file).
#pragma once

#include <string>

namespace nodeboot::run {

// `status`: the last run as text or JSON; exit 0, or 1 when nodeboot has not run here. With
// `wait`: first blocks while a run holds the lock (polling once a second, as `cloud-init status
// --wait` does), then prints the same and exits with that run's exit code (1 when it has none:
// it died without an end).
int PrintStatus(const std::string& root, bool json, bool wait = false);

}  // namespace nodeboot::run
