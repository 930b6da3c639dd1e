#include "agent/join/yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace nodeboot::join {
namespace {

void Emit(YAML::Emitter& out, const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, member] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        Emit(out, member);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::ordered_json::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : value) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::ordered_json::value_t::string:
      out << YAML::DoubleQuoted << value.get<std::string>();
      break;
    case nlohmann::ordered_json::value_t::boolean:
      out << value.get<bool>();
      break;
    case nlohmann::ordered_json::value_t::number_integer:
      out << value.get<int64_t>();
      break;
    case nlohmann::ordered_json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      break;
    case nlohmann::ordered_json::value_t::null:
      out << YAML::Null;
      break;
    default:
      // Floats and binary values have no use in these files; refusing them keeps the goldens
      // free of a float format yaml-cpp and the API machinery might disagree on.
      throw std::invalid_argument("yaml_writer: unsupported value type " + std::string(value.type_name()));
  }
}

}  // namespace

std::string ToYaml(const nlohmann::ordered_json& document, std::string_view header) {
  std::string text;
  size_t start = 0;
  while (start < header.size()) {
    const size_t end = header.find('\n', start);
    const std::string_view line = header.substr(start, end == std::string_view::npos ? end : end - start);
    text += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  YAML::Emitter out;
  Emit(out, document);
  text += out.c_str();
  text += '\n';
  return text;
}

}  // namespace nodeboot::join
