// Secret: a string that never prints. Tokens and decoded scripts live in this type from the
// moment the config is parsed; operator<<, fmt and JSON all render it as "***". The value is
// reachable only through Reveal(), so every place that uses a secret is one grep away.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>

namespace nodeboot {

class Secret {
 public:
  static constexpr const char* kMask = "***";

  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The plain value, for the one place that must send or write it.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Secret&, const Secret&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << kMask; }
  friend void to_json(nlohmann::json& json, const Secret&) { json = kMask; }

 private:
  std::string value_;
};

}  // namespace nodeboot

template <>
struct fmt::formatter<nodeboot::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const nodeboot::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(nodeboot::Secret::kMask, ctx);
  }
};
