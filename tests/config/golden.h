// The golden configs of tests/data/config: valid/ must load clean; each invalid/ file lists
// the error lines it must produce as `# expect: <text>` comments, one per error.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nodeboot::testing {

struct GoldenConfig {
  std::filesystem::path path;
  std::vector<std::string> expected;  // substrings, one per expected error line
};

std::vector<GoldenConfig> GoldenConfigs(const std::string& kind);  // "valid" or "invalid"

}  // namespace nodeboot::testing
