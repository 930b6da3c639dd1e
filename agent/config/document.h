// A parsed config document as plain values with line numbers: the only shape in which YAML or
// JSON leaves the parser adapter (document_parser.cc, the one yaml-cpp user). Scalars stay
// strings; the field readers decide what a field's type is, so `size: 100` and `size: "100"`
// (CCE writes both) read the same.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base/result.h"

namespace nodeboot::config {

struct Document {
  // Declared so that clang (14, with libstdc++ 12; the fuzz build) need not decide whether
  // `members`' pair<string, Document> is default-constructible while Document is incomplete:
  // without it clang refuses the implicit constructor (g++ accepts either way).
  Document() = default;

  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;  // kScalar only
  int line = 0;        // 1-based; 0 when the source gives none (the JSON fallback)
  // A mapping's value: the line of its key, which messages about the key (unknown, repeated)
  // name. An empty value (`name:`) has no text of its own and takes this line as its `line` too.
  int key_line = 0;
  std::vector<Document> items;                            // kSequence
  std::vector<std::pair<std::string, Document>> members;  // kMap, in file order, duplicates kept

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMap; }
};

// "a mapping", "a list", "a value", "null": for messages.
std::string_view KindName(Document::Kind kind);

// Parses YAML (JSON is accepted as YAML; if the YAML parser refuses a JSON document, a JSON
// parser gets a second look). The error message carries the line where the parser has it.
Result<Document> ParseDocument(std::string_view text);

}  // namespace nodeboot::config
