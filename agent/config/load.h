// Loading the config: read, parse, type and validate in one pass that collects every error
// (like a compiler), so `nodeboot validate` can list them all and `run` can refuse before
// anything runs (exit 2).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/base/paths.h"
#include "agent/config/config_error.h"
#include "agent/config/node_config.h"

namespace nodeboot::config {

struct LoadResult {
  NodeConfig config;  // meaningful only when errors is empty
  ConfigErrors errors;

  bool ok() const { return errors.empty(); }
};

// Parses `text` as the config. Host files the config names (task.tokenFile) are read
// through `paths`.
LoadResult ParseConfig(std::string_view text, const Paths& paths);

// Reads the config file at `file` (a path on this machine, not prefixed) and parses it.
LoadResult LoadConfig(const Paths& paths, const std::filesystem::path& file);

// Where the config is: the default /etc/nodeboot/config.yaml under the root, or an explicit
// --config as given; an explicit absolute path that does not exist is looked up under the
// root too, so `--root R --config /etc/nodeboot/x.yaml` finds R/etc/nodeboot/x.yaml.
std::filesystem::path ConfigFile(const Paths& paths, std::string_view explicit_path);

}  // namespace nodeboot::config
