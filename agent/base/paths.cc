#include "agent/base/paths.h"

namespace nodeboot {

std::filesystem::path Paths::Host(std::string_view absolute) const {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  if (absolute.empty()) return root_;
  return root_ / absolute;
}

}  // namespace nodeboot
