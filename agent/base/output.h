// A line on stdout (or stderr) for a reader who may have gone away. `run` ignores SIGPIPE
// (shutdown.h), so a write to a closed pipe (`nodeboot run --dry-run | head`) fails with EPIPE
// instead of killing the run; fmt::print would throw on that failure, and the run would end in
// std::terminate. What is printed here is for the reader alone, so a failure is ignored.
#pragma once

#include <cstdio>
#include <string_view>

namespace nodeboot {

inline void PrintLine(std::string_view line, std::FILE* to = stdout) {
  if (std::fwrite(line.data(), 1, line.size(), to) == line.size()) std::fputc('\n', to);
}

}  // namespace nodeboot
