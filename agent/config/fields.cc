#include "agent/config/fields.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

namespace nodeboot::config {

std::string ConfigError::ToString() const {
  std::string text = path.empty() ? message : fmt::format("{}: {}", path, message);
  if (line > 0) text += fmt::format(" (line {})", line);
  return text;
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string IndexPath(std::string_view parent, size_t index) { return fmt::format("{}[{}]", parent, index); }

std::optional<int64_t> ParseInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Fields::Fields(const Document* map, std::string path, ConfigErrors& errors, UnknownKeys unknown)
    : map_(map), path_(std::move(path)), errors_(errors), unknown_(unknown) {
  if (map_ != nullptr && map_->is_null()) map_ = nullptr;
  if (map_ != nullptr && !map_->is_map()) {
    errors_.push_back({path_, fmt::format("must be a mapping, got {}", KindName(map_->kind)), map_->line});
    map_ = nullptr;
  }
}

const Document* Fields::Get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (!present()) return nullptr;
  // The first occurrence counts; Finish() reports the repeats.
  for (const auto& [name, value] : map_->members) {
    if (name == key) return value.is_null() ? nullptr : &value;
  }
  return nullptr;
}

std::optional<std::string> Fields::String(std::string_view key) {
  const Document* value = Get(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_scalar()) {
    errors_.push_back({PathOf(key), fmt::format("must be a string, got {}", KindName(value->kind)), value->line});
    return std::nullopt;
  }
  return value->scalar;
}

std::optional<int64_t> Fields::Integer(std::string_view key, int64_t min, int64_t max) {
  const Document* value = Get(key);
  if (value == nullptr) return std::nullopt;
  const auto number = value->is_scalar() ? ParseInteger(value->scalar) : std::nullopt;
  if (!number) {
    errors_.push_back(
        {PathOf(key),
         fmt::format("must be a whole number, got {}",
                     value->is_scalar() ? fmt::format("\"{}\"", value->scalar) : std::string(KindName(value->kind))),
         value->line});
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    errors_.push_back({PathOf(key), fmt::format("must be from {} to {}, got {}", min, max, *number), value->line});
    return std::nullopt;
  }
  return number;
}

std::optional<bool> Fields::Bool(std::string_view key) {
  const Document* value = Get(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_scalar()) {
    const std::string& s = value->scalar;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  errors_.push_back(
      {PathOf(key),
       fmt::format("must be true or false, got {}",
                   value->is_scalar() ? fmt::format("\"{}\"", value->scalar) : std::string(KindName(value->kind))),
       value->line});
  return std::nullopt;
}

std::optional<std::string> Fields::Enum(std::string_view key, const std::vector<std::string_view>& allowed) {
  auto text = String(key);
  if (!text) return std::nullopt;
  const Document* value = Get(key);
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    errors_.push_back(
        {PathOf(key), fmt::format("must be one of {}, got \"{}\"", fmt::join(allowed, ", "), *text), value->line});
    return std::nullopt;
  }
  return text;
}

const Document* Fields::List(std::string_view key) {
  const Document* value = Get(key);
  if (value == nullptr) return nullptr;
  if (!value->is_sequence()) {
    errors_.push_back({PathOf(key), fmt::format("must be a list, got {}", KindName(value->kind)), value->line});
    return nullptr;
  }
  return value;
}

const Document* Fields::Map(std::string_view key) {
  const Document* value = Get(key);
  if (value == nullptr) return nullptr;
  if (!value->is_map()) {
    errors_.push_back({PathOf(key), fmt::format("must be a mapping, got {}", KindName(value->kind)), value->line});
    return nullptr;
  }
  return value;
}

std::string Fields::PathOf(std::string_view key) const { return JoinPath(path_, key); }

void Fields::Fail(std::string_view key, std::string message) {
  const Document* value = nullptr;
  if (present()) {
    for (const auto& [name, member] : map_->members) {
      if (name == key) value = &member;
    }
  }
  errors_.push_back({PathOf(key), std::move(message), value ? value->line : line()});
}

void Fields::FailHere(std::string message) { errors_.push_back({path_, std::move(message), line()}); }

void Fields::Finish() {
  if (!present()) return;
  for (size_t i = 0; i < map_->members.size(); ++i) {
    // References, not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& name = map_->members[i].first;
    const Document& value = map_->members[i].second;
    const bool known = std::find(known_.begin(), known_.end(), name) != known_.end();
    const bool repeat = std::any_of(map_->members.begin(), map_->members.begin() + i,
                                    [&](const auto& earlier) { return earlier.first == name; });
    if (repeat && (known || unknown_ == UnknownKeys::kRefuse)) {
      errors_.push_back({PathOf(name), "appears more than once", value.key_line});
      continue;
    }
    if (known || unknown_ == UnknownKeys::kIgnore) continue;
    errors_.push_back(
        {PathOf(name), fmt::format("unknown key (known here: {})", fmt::join(known_, ", ")), value.key_line});
  }
}

}  // namespace nodeboot::config
