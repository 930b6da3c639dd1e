// The phases of a run, in order, declared in one place.
#pragma once

#include <memory>
#include <vector>

#include "agent/run/phase.h"

namespace nodeboot::run {

std::vector<std::unique_ptr<Phase>> StandardPhases();

}  // namespace nodeboot::run
