// ConfigError: one problem in the config, at one field path. `nodeboot validate` prints every
// one of them, each line starting with its path, so an operator fixes them all in one pass.
#pragma once

#include <string>
#include <vector>

namespace nodeboot::config {

struct ConfigError {
  std::string path;  // "nodeTemplate.storage.storageGroups[0].virtualSpaces[1].size"
  std::string message;
  int line = 0;  // 1-based line in the config file; 0 when unknown

  // "path: message (line N)"
  std::string ToString() const;
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace nodeboot::config
