// Small text helpers shared across the agent.
#pragma once

#include <string>
#include <string_view>

namespace nodeboot {

// `text` without leading and trailing ASCII whitespace.
inline std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// `text` with ASCII letters in lower case (disk models, vendors and serials compare this way).
inline std::string AsciiLower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace nodeboot
