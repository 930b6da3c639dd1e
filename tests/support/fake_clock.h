// FakeClock: virtual time for code that takes its clock as functions (report's DeliveryClock,
// join's ReadinessClock). A sleep returns at once, advancing both clocks by its length, and is
// recorded; nothing waits. Build the clock a function wants from Now(), Wall(), Sleep() and
// Random(): `DeliveryClock{clock.Now(), clock.Wall(), clock.Sleep(), clock.Random(), {}}`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace nodeboot::testing {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  std::chrono::system_clock::time_point wall =
      std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  double random = 1.0;                                     // what Random() answers, in [0, 1]
  std::vector<std::chrono::milliseconds> sleeps;           // every sleep, in order

  std::function<std::chrono::steady_clock::time_point()> Now() {
    return [this] { return now; };
  }
  std::function<std::chrono::system_clock::time_point()> Wall() {
    return [this] { return wall; };
  }
  std::function<void(std::chrono::milliseconds)> Sleep() {
    return [this](std::chrono::milliseconds duration) {
      sleeps.push_back(duration);
      // A real sleep of a negative duration returns at once; time never runs backwards.
      if (duration.count() > 0) {
        now += duration;
        wall += duration;
      }
    };
  }
  std::function<double()> Random() {
    return [this] { return random; };
  }

  // The sleeps in milliseconds, for ElementsAre(500, 1000).
  std::vector<int64_t> SleptMs() const {
    std::vector<int64_t> ms;
    for (const auto& sleep : sleeps) ms.push_back(sleep.count());
    return ms;
  }
};

}  // namespace nodeboot::testing
