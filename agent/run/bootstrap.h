// `nodeboot run` and `nodeboot status` (SPEC §1, §8): the recipe around the engine.
#pragma once

#include <set>
#include <string>

namespace nodeboot::run {

struct BootstrapOptions {
  std::string root = "/";
  std::string config;  // empty: the default under the root
  std::set<std::string> only;
  std::set<std::string> skip;
  bool repair = false;
  bool rerun_scripts = false;
  bool dry_run = false;
};

// Returns the process exit code of SPEC §2.
int Bootstrap(const BootstrapOptions& options);

// Prints the last run from state.json as text or JSON; exit 0 when there is one, 1 when
// there is none (nothing has run on this node).
int PrintStatus(const std::string& root, bool json);

}  // namespace nodeboot::run
