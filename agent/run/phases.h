// The phases of a run, in order, declared in one place.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/run/phase.h"

namespace nodeboot::run {

std::vector<std::unique_ptr<Phase>> StandardPhases();
// Their names, in order (what --only and --skip accept).
std::vector<std::string> StandardPhaseNames();

}  // namespace nodeboot::run
