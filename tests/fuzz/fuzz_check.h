// What the fuzz targets share: FUZZ_CHECK, for the properties they assert beyond "does not
// crash", and small input helpers. A failed check prints what failed and aborts; libFuzzer reports that as a crash and
// saves the input, which then becomes a unit test of the module (tests/<module>/).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace nodeboot::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
  std::abort();
}

inline std::string_view AsText(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// The text cut at each '\n' (without it); n newlines make n + 1 lines.
inline std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace nodeboot::fuzz

#define FUZZ_CHECK(condition)                                                        \
  do {                                                                               \
    if (!(condition)) ::nodeboot::fuzz::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (0)
