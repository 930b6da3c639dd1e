#include "storage/fstab.h"

#include <set>
#include <sstream>

namespace nodeboot::storage {
namespace {
constexpr std::string_view kMarker = "# nodeboot: ";
}  // namespace

std::string UpdateFstab(std::string_view current, const std::vector<FstabEntry>& entries) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(current)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::string out;
  std::set<std::string> written;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with(kMarker)) {
      out += lines[i] + "\n";
      continue;
    }
    const std::string key = lines[i].substr(kMarker.size());
    const bool has_entry = i + 1 < lines.size() && !lines[i + 1].starts_with("#");
    if (has_entry) ++i;  // the owned entry line is replaced (or dropped) with its marker
    for (const auto& entry : entries) {
      if (entry.key == key && written.insert(key).second) out += std::string(kMarker) + key + "\n" + entry.line + "\n";
    }
  }
  for (const auto& entry : entries) {
    if (written.insert(entry.key).second) out += std::string(kMarker) + entry.key + "\n" + entry.line + "\n";
  }
  return out;
}

}  // namespace nodeboot::storage
