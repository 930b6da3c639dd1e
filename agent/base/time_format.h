// Timestamps as the report and state.json carry them: RFC 3339 UTC, "2026-11-22T10:00:00Z".
#pragma once

#include <chrono>
#include <string>

namespace nodeboot {

std::string FormatUtc(std::chrono::system_clock::time_point time);

}  // namespace nodeboot
