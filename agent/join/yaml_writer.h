// YAML text for the files a join writes, from a JSON value tree (the one yaml-cpp emitter
// user; agent/config/document_parser.cc is the one reader). Keys are written plain and must be
// plain identifiers (the API field names the renderers use); every string value is
// double-quoted and escaped by yaml-cpp, so no value ("true", "0x1", "a: b", "") can change
// type or structure; numbers and booleans are plain; an empty list or map is `[]` / `{}`.
// Objects keep their insertion order (ordered_json), which the golden files pin.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nodeboot::join {

// `header` (without '#'; may be several lines) becomes comment lines above the document.
std::string ToYaml(const nlohmann::ordered_json& document, std::string_view header = {});

}  // namespace nodeboot::join
