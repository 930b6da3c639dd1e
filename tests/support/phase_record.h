// A phase's record in a run as state.json, `status --output json` and the report carry it,
// looked up by name: tests never index phases by position, so adding a phase (gpu) to the
// list changes no test that is not about it.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nodeboot::testing {

// `run` is an object with a "phases" list ({"name": ...} each). Throws when the phase is absent.
inline const nlohmann::json& PhaseIn(const nlohmann::json& run, std::string_view name) {
  for (const auto& phase : run.at("phases")) {
    if (phase.value("name", "") == name) return phase;
  }
  throw std::out_of_range("no phase " + std::string(name) + " in " + run.at("phases").dump());
}

}  // namespace nodeboot::testing
