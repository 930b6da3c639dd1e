// What the fuzz targets share: FUZZ_CHECK, for the properties they assert beyond "does not
// crash". A failed check prints what failed and aborts; libFuzzer reports that as a crash and
// saves the input, which then becomes a unit test of the module (tests/<module>/).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace nodeboot::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
  std::abort();
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace nodeboot::fuzz

#define FUZZ_CHECK(condition)                                                         \
  do {                                                                                \
    if (!(condition)) ::nodeboot::fuzz::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (0)
