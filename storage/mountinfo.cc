#include "storage/mountinfo.h"

#include <sstream>

namespace nodeboot::storage {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool escape = text[i] == '\\' && i + 3 < text.size() &&
                        text.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos;
    if (escape) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<MountEntry> ParseMountinfo(std::string_view text) {
  std::vector<MountEntry> entries;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    std::istringstream fields(line);
    std::string id, parent, devnum, root, mount_point;
    if (!(fields >> id >> parent >> devnum >> root >> mount_point)) continue;
    std::string word;
    while (fields >> word && word != "-") {
    }
    std::string fs_type, source;
    fields >> fs_type >> source;
    entries.push_back({devnum, Unescape(mount_point), fs_type, Unescape(source)});
  }
  return entries;
}

std::vector<std::string> ParseSwaps(std::string_view text) {
  std::vector<std::string> devices;
  std::istringstream in{std::string(text)};
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device;
    if (fields >> device) devices.push_back(Unescape(device));
  }
  return devices;
}

}  // namespace nodeboot::storage
