// Fields: reads the members of one mapping of a Document as typed values, recording a
// ConfigError with the member's path and line for every value of the wrong type or range.
// Every accessor marks its key as known; Finish() reports the keys nobody asked for, which is
// how nodeboot's own sections refuse unknown keys while nodeTemplate ignores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config_error.h"
#include "agent/config/document.h"

namespace nodeboot::config {

class Fields {
 public:
  enum class UnknownKeys { kRefuse, kIgnore };

  // `map` may be null (the section is absent) or of another kind (reported here).
  Fields(const Document* map, std::string path, ConfigErrors& errors, UnknownKeys unknown);

  bool present() const { return map_ != nullptr && map_->is_map(); }
  const std::string& path() const { return path_; }
  int line() const { return map_ ? map_->line : 0; }

  // The member, or null when absent or null-valued.
  const Document* Get(std::string_view key);
  bool Has(std::string_view key) { return Get(key) != nullptr; }

  std::optional<std::string> String(std::string_view key);
  // Integers written as numbers or as numeric strings (CCE's matchLabels use strings).
  std::optional<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  std::optional<bool> Bool(std::string_view key);
  // A string that must be one of `allowed`.
  std::optional<std::string> Enum(std::string_view key, const std::vector<std::string_view>& allowed);
  // A list member; null when absent, an error when it is another kind.
  const Document* List(std::string_view key);
  const Document* Map(std::string_view key);

  std::string PathOf(std::string_view key) const;
  ConfigErrors& errors_ref() { return errors_; }
  void Fail(std::string_view key, std::string message);
  void FailHere(std::string message);

  // Reports unknown keys (with UnknownKeys::kRefuse). Called once, after every accessor.
  void Finish();

 private:
  const Document* map_;
  std::string path_;
  ConfigErrors& errors_;
  UnknownKeys unknown_;
  std::vector<std::string> known_;
};

// Path helpers: Join("a", "b") is "a.b", Index("a", 2) is "a[2]".
std::string JoinPath(std::string_view parent, std::string_view key);
std::string IndexPath(std::string_view parent, size_t index);

// Parses a whole decimal integer with optional sign; nothing else.
std::optional<int64_t> ParseInteger(std::string_view text);

}  // namespace nodeboot::config
