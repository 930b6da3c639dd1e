// The adapter for yaml-cpp (and nlohmann-json's parser as the JSON fallback): text in,
// Document out. Every exception these libraries throw is caught here.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "agent/config/document.h"

namespace nodeboot::config {
namespace {

Document FromYaml(const YAML::Node& node) {
  Document doc;
  doc.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      doc.kind = Document::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      doc.kind = Document::Kind::kScalar;
      doc.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      doc.kind = Document::Kind::kSequence;
      for (const auto& item : node) doc.items.push_back(FromYaml(item));
      break;
    case YAML::NodeType::Map:
      doc.kind = Document::Kind::kMap;
      for (const auto& member : node) {
        // Keys are scalars in every config nodeboot reads; a complex key renders as its text.
        std::string key = member.first.IsScalar() ? member.first.Scalar() : YAML::Dump(member.first);
        doc.members.emplace_back(std::move(key), FromYaml(member.second));
      }
      break;
  }
  return doc;
}

Document FromJson(const nlohmann::json& json) {
  Document doc;
  if (json.is_null()) return doc;
  if (json.is_object()) {
    doc.kind = Document::Kind::kMap;
    for (const auto& [key, value] : json.items()) doc.members.emplace_back(key, FromJson(value));
  } else if (json.is_array()) {
    doc.kind = Document::Kind::kSequence;
    for (const auto& item : json) doc.items.push_back(FromJson(item));
  } else {
    doc.kind = Document::Kind::kScalar;
    doc.scalar = json.is_string() ? json.get<std::string>() : json.dump();
  }
  return doc;
}

Error ParseError(std::string message) {
  return Error{"NB-CONFIG-INVALID", std::move(message), exit_code::kInvalidConfig};
}

}  // namespace

std::string_view KindName(Document::Kind kind) {
  switch (kind) {
    case Document::Kind::kNull: return "null";
    case Document::Kind::kScalar: return "a value";
    case Document::Kind::kSequence: return "a list";
    case Document::Kind::kMap: return "a mapping";
  }
  return "?";
}

Result<Document> ParseDocument(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return ParseError("not a text file: it contains a NUL byte");
  }
  std::string yaml_error;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
    if (documents.size() > 1) return ParseError("holds more than one YAML document");
    if (documents.empty()) return Document{};
    return FromYaml(documents.front());
  } catch (const YAML::Exception& e) {
    yaml_error = e.mark.is_null() ? e.msg : fmt::format("{} (line {})", e.msg, e.mark.line + 1);
  } catch (const std::exception& e) {
    yaml_error = e.what();
  }
  // A JSON document the YAML parser refused (tab indentation, for one) still deserves a read.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    try {
      return FromJson(nlohmann::json::parse(text));
    } catch (const nlohmann::json::exception& e) {
      return ParseError(fmt::format("not valid YAML or JSON: {}", e.what()));
    }
  }
  return ParseError(fmt::format("not valid YAML: {}", yaml_error));
}

}  // namespace nodeboot::config
