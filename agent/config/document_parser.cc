// The adapter for yaml-cpp (and nlohmann-json's parser as the JSON fallback): text in,
// Document out. Every exception these libraries throw is caught here.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "agent/config/document.h"

namespace nodeboot::config {
namespace {

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

// More nodes than this in one document is an error: an alias copies what its anchor names,
// so a few lines of anchors to aliases of anchors (a "billion laughs") would otherwise grow
// a Document without bound. A real config has a few hundred.
constexpr size_t kMaxNodes = 100'000;

// A complex map key (a list or mapping as key) rendered as text; nodeboot reads none.
void Emit(YAML::Emitter& out, const Document& doc) {
  switch (doc.kind) {
    case Document::Kind::kNull:
      out << YAML::Null;
      break;
    case Document::Kind::kScalar:
      out << doc.scalar;
      break;
    case Document::Kind::kSequence:
      out << YAML::BeginSeq;
      for (const auto& item : doc.items) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case Document::Kind::kMap:
      out << YAML::BeginMap;
      for (const auto& [key, value] : doc.members) {
        out << YAML::Key << key << YAML::Value;
        Emit(out, value);
      }
      out << YAML::EndMap;
      break;
  }
}

std::string KeyText(const Document& key) {
  if (key.is_scalar()) return key.scalar;
  YAML::Emitter out;
  Emit(out, key);
  return out.c_str();
}

// Builds the Document of the first YAML document straight from the parser's events, and
// counts the documents of the stream. One pass: YAML::Load would parse the text again into
// yaml-cpp's node graph, which cost as much as the parse (a quarter of a 16-disk dry run's
// config load). And not YAML::LoadAll: yaml-cpp 0.7.0 (Debian 12) loops on some malformed
// streams, a lone "," for one: the parser reports an empty document without consuming
// anything, again and again, and LoadAll collects those until memory runs out (yaml-cpp
// issue #1040, fixed after 0.8.0). A document that starts where the previous one started is
// that loop; the caller stops there, or at the second document.
class DocumentBuilder final : public YAML::EventHandler {
 public:
  int documents() const { return documents_; }
  // Where the parser stopped making progress; null when it did not.
  const YAML::Mark& stuck_at() const { return stuck_at_; }
  Document TakeRoot() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0 && mark.pos == last_start_.pos) stuck_at_ = mark;
    last_start_ = mark;
    ++documents_;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(Node(Document::Kind::kNull, mark), anchor, 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    Document doc = Node(Document::Kind::kScalar, mark);
    doc.scalar = value;
    Add(std::move(doc), anchor, 1);
  }
  // A copy of what the anchor named, every line in it set to the alias's: a message about a
  // value that came through the alias points at where it was used, not at the anchor.
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!InFirstDocument()) return;
    const auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      // yaml-cpp names the anchor when it starts, so an alias inside its own anchor's node
      // gets here: a node that contains itself, which no config can mean.
      throw YAML::ParserException(mark, "an alias refers to a node that contains it");
    }
    if (nodes_ + found->second.nodes > kMaxNodes) throw TooManyNodes(mark);
    Document doc = found->second.doc;
    SetLine(doc, Line(mark));
    Add(std::move(doc), YAML::NullAnchor, found->second.nodes);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open_.push_back({Node(Document::Kind::kSequence, mark), anchor, std::nullopt, nodes_});
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open_.push_back({Node(Document::Kind::kMap, mark), anchor, std::nullopt, nodes_});
  }
  void OnMapEnd() override { Close(); }

 private:
  // A list or mapping whose end has not come yet; a mapping's key waits in `key` for its value.
  struct Open {
    Document doc;
    YAML::anchor_t anchor;
    std::optional<std::string> key;
    size_t nodes_before;  // nodes_ when it started: its own size is the difference, plus one
    int key_line = 0;     // the line of `key`
  };
  struct Anchored {
    Document doc;
    size_t nodes;
  };

  bool InFirstDocument() const { return documents_ == 1; }
  static YAML::ParserException TooManyNodes(const YAML::Mark& mark) {
    return YAML::ParserException(mark, fmt::format("more than {} values, aliases expanded", kMaxNodes));
  }
  static int Line(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }
  static void SetLine(Document& doc, int line) {
    doc.line = line;
    for (auto& item : doc.items) SetLine(item, line);
    for (auto& [key, value] : doc.members) {
      SetLine(value, line);
      value.key_line = line;
    }
  }
  static Document Node(Document::Kind kind, const YAML::Mark& mark) {
    Document doc;
    doc.kind = kind;
    doc.line = Line(mark);
    return doc;
  }

  void Close() {
    if (open_.empty()) return;
    Open done = std::move(open_.back());
    open_.pop_back();
    const size_t children = nodes_ - done.nodes_before;
    nodes_ -= children;  // counted again, with the list or mapping, by Add
    Add(std::move(done.doc), done.anchor, children + 1);
  }

  // Puts a finished node where it belongs: the root, the next item of a list, or a mapping's
  // key or value.
  // `nodes` is its size: 1, or all it holds for a list, mapping or alias.
  void Add(Document doc, YAML::anchor_t anchor, size_t nodes) {
    if (!InFirstDocument()) return;
    nodes_ += nodes;
    if (nodes_ > kMaxNodes) throw TooManyNodes(YAML::Mark::null_mark());
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {doc, nodes};
    if (open_.empty()) {
      root_ = std::move(doc);
      return;
    }
    Open& parent = open_.back();
    if (parent.doc.is_sequence()) {
      parent.doc.items.push_back(std::move(doc));
    } else if (!parent.key) {
      parent.key = KeyText(doc);
      parent.key_line = doc.line;
    } else {
      // yaml-cpp marks an empty value where the next token starts, often the next line.
      if (doc.is_null()) doc.line = parent.key_line;
      doc.key_line = parent.key_line;
      parent.doc.members.emplace_back(std::move(*parent.key), std::move(doc));
      parent.key.reset();
    }
  }

  int documents_ = 0;
  YAML::Mark last_start_ = YAML::Mark::null_mark();
  YAML::Mark stuck_at_ = YAML::Mark::null_mark();
  Document root_;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;  // in the document so far
};

}  // namespace

std::string_view KindName(Document::Kind kind) {
  switch (kind) {
    case Document::Kind::kNull:
      return "null";
    case Document::Kind::kScalar:
      return "a value";
    case Document::Kind::kSequence:
      return "a list";
    case Document::Kind::kMap:
      return "a mapping";
  }
  return "?";
}

Result<Document> ParseDocument(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return errors::ConfigInvalid("not a text file: it contains a NUL byte");
  }
  std::string yaml_error;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentBuilder builder;
    while (builder.documents() < 2 && parser.HandleNextDocument(builder)) {
    }
    if (!builder.stuck_at().is_null()) throw YAML::ParserException(builder.stuck_at(), "cannot parse past this point");
    if (builder.documents() > 1) return errors::ConfigInvalid("holds more than one YAML document");
    return builder.TakeRoot();
  } catch (const YAML::Exception& e) {
    yaml_error = e.mark.is_null() ? e.msg : fmt::format("{} (line {})", e.msg, e.mark.line + 1);
  } catch (const std::exception& e) {
    yaml_error = e.what();
  }
  // A JSON document the YAML parser refused (tab indentation, for one) still deserves a read.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    try {
      // Each object's keys, to refuse a repeated one (nlohmann-json would keep the last).
      std::vector<std::set<std::string>> keys;
      const nlohmann::json::parser_callback_t refuse_repeats = [&keys](int, nlohmann::json::parse_event_t event,
                                                                       nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) keys.emplace_back();
        if (event == Event::object_end && !keys.empty()) keys.pop_back();
        if (event == Event::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          throw std::runtime_error(fmt::format("the key \"{}\" appears more than once", parsed.get<std::string>()));
        }
        return true;
      };
      return FromJson(nlohmann::json::parse(text, refuse_repeats));
    } catch (const std::exception& e) {  // nlohmann-json's errors and FromJson's depth limit
      return errors::ConfigInvalid(fmt::format("not valid YAML or JSON: {}", e.what()));
    }
  }
  return errors::ConfigInvalid(fmt::format("not valid YAML: {}", yaml_error));
}

}  // namespace nodeboot::config
