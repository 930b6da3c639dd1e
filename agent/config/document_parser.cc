// The adapter for yaml-cpp (and nlohmann-json's parser as the JSON fallback): text in,
// Document out. Every exception these libraries throw is caught here.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

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

// yaml-cpp refuses YAML nested deeper than this (its DepthGuard); nlohmann-json has no such
// limit, and FromJson recurses: a few hundred kilobytes of "[[[[" overflowed the stack.
constexpr int kMaxJsonDepth = 2000;

Document FromJson(const nlohmann::json& json, int depth = 1) {
  if (depth > kMaxJsonDepth) throw std::runtime_error(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
  Document doc;
  if (json.is_null()) return doc;
  if (json.is_object()) {
    doc.kind = Document::Kind::kMap;
    for (const auto& [key, value] : json.items()) doc.members.emplace_back(key, FromJson(value, depth + 1));
  } else if (json.is_array()) {
    doc.kind = Document::Kind::kSequence;
    for (const auto& item : json) doc.items.push_back(FromJson(item, depth + 1));
  } else {
    doc.kind = Document::Kind::kScalar;
    doc.scalar = json.is_string() ? json.get<std::string>() : json.dump();
  }
  return doc;
}

// Counts the documents of a YAML stream without building them. yaml-cpp 0.7.0 (Debian 12)
// loops on some malformed streams, a lone "," for one: the parser reports an empty document
// without consuming anything, again and again, and YAML::LoadAll collects those until memory
// runs out (yaml-cpp issue #1040, fixed after 0.8.0). A document that starts where the
// previous one started is that loop; the count stops there, or at the second document.
class DocumentCounter final : public YAML::EventHandler {
 public:
  int documents() const { return documents_; }
  // Where the parser stopped making progress; null when it did not.
  const YAML::Mark& stuck_at() const { return stuck_at_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0 && mark.pos == last_start_.pos) stuck_at_ = mark;
    last_start_ = mark;
    ++documents_;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  int documents_ = 0;
  YAML::Mark last_start_ = YAML::Mark::null_mark();
  YAML::Mark stuck_at_ = YAML::Mark::null_mark();
};

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
    // Not YAML::LoadAll (see DocumentCounter): count first, then load the one document.
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentCounter counter;
    while (counter.documents() < 2 && parser.HandleNextDocument(counter)) {
    }
    if (!counter.stuck_at().is_null()) throw YAML::ParserException(counter.stuck_at(), "cannot parse past this point");
    if (counter.documents() > 1) return ParseError("holds more than one YAML document");
    if (counter.documents() == 0) return Document{};
    return FromYaml(YAML::Load(std::string(text)));
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
    } catch (const std::exception& e) {  // nlohmann-json's errors and FromJson's depth limit
      return ParseError(fmt::format("not valid YAML or JSON: {}", e.what()));
    }
  }
  return ParseError(fmt::format("not valid YAML: {}", yaml_error));
}

}  // namespace nodeboot::config
