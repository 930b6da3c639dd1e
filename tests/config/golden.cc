#include "tests/config/golden.h"

#include <algorithm>
#include <fstream>

namespace nodeboot::testing {

std::vector<GoldenConfig> GoldenConfigs(const std::string& kind) {
  std::vector<GoldenConfig> configs;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(NODEBOOT_SOURCE_DIR) / "tests/data/config" / kind)) {
    GoldenConfig config{entry.path(), {}};
    std::ifstream in(entry.path());
    const std::string marker = "# expect: ";
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(marker)) config.expected.push_back(line.substr(marker.size()));
    }
    configs.push_back(std::move(config));
  }
  std::sort(configs.begin(), configs.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return configs;
}

}  // namespace nodeboot::testing
