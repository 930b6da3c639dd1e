#include "agent/base/time_format.h"

#include <fmt/chrono.h>

namespace nodeboot {

std::string FormatUtc(std::chrono::system_clock::time_point time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

}  // namespace nodeboot
