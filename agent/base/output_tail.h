// OutputTail: the last `max_bytes` of a step's output as whole lines, for state.json and the
// failure report ("the failing step's own output"). Memory stays bounded whatever a script
// prints.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace nodeboot {

class OutputTail {
 public:
  explicit OutputTail(size_t max_bytes = 64 * 1024) : max_bytes_(max_bytes) {}

  void Add(std::string_view line) {
    if (line.size() > max_bytes_) line = line.substr(line.size() - max_bytes_);
    lines_.emplace_back(line);
    bytes_ += line.size();
    while (bytes_ > max_bytes_ && !lines_.empty()) {
      bytes_ -= lines_.front().size();
      lines_.pop_front();
    }
  }
  std::vector<std::string> Lines() const { return {lines_.begin(), lines_.end()}; }

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<std::string> lines_;
};

}  // namespace nodeboot
