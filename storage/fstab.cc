#include "storage/fstab.h"

#include <set>
#include <sstream>

#include "storage/spec.h"

namespace nodeboot::storage {
namespace {

constexpr std::string_view kMarker = "# nodeboot: ";

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

// fstab(5) writes a space in a path as \040 (and a tab as \011, a backslash as \134).
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' && field[i + 2] >= '0' &&
        field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// Whether `line` is the entry nodeboot writes after the marker for `key` ("vg/lv"): its
// source is that LV's /dev/mapper path.
bool IsOwnedEntry(const std::string& key, const std::string& line) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return false;
  const auto fields = Fields(line);
  return !fields.empty() && fields[0] == DmPath(key.substr(0, slash), key.substr(slash + 1));
}

// The indexes of the lines nodeboot owns: each marker, and the entry right after it when that
// entry is the marked LV's.
std::set<size_t> OwnedLines(const std::vector<std::string>& lines) {
  std::set<size_t> owned;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with(kMarker)) continue;
    owned.insert(i);
    const std::string key = lines[i].substr(kMarker.size());
    if (i + 1 < lines.size() && IsOwnedEntry(key, lines[i + 1])) owned.insert(++i);
  }
  return owned;
}

}  // namespace

std::vector<ForeignFstabLine> ForeignLinesFor(std::string_view current, const std::vector<std::string>& mount_points) {
  const auto lines = Lines(current);
  const auto owned = OwnedLines(lines);
  std::set<std::string> wanted;
  for (const auto& point : mount_points) wanted.insert(Unescape(point));
  std::vector<ForeignFstabLine> foreign;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (owned.contains(i)) continue;
    const auto fields = Fields(lines[i]);
    if (fields.size() < 2 || fields[0].starts_with("#")) continue;
    const std::string point = Unescape(fields[1]);
    if (wanted.contains(point)) foreign.push_back({static_cast<int>(i + 1), lines[i], point});
  }
  return foreign;
}

std::string UpdateFstab(std::string_view current, const std::vector<FstabEntry>& entries) {
  const auto lines = Lines(current);
  const auto owned = OwnedLines(lines);
  std::string out;
  std::set<std::string> written;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!owned.contains(i)) {
      out += lines[i] + "\n";
      continue;
    }
    if (!lines[i].starts_with(kMarker)) continue;  // an owned entry: rewritten with its marker
    // A marker (and its entry, if it is there): replaced by the current entry for its key, or
    // dropped when the layout no longer has it. A stale marker whose next line is not ours
    // leaves that line alone: it is written out as it was on the next iteration.
    const std::string key = lines[i].substr(kMarker.size());
    for (const auto& entry : entries) {
      if (entry.key == key && written.insert(key).second) out += std::string(kMarker) + key + "\n" + entry.line + "\n";
    }
  }
  for (const auto& entry : entries) {
    if (written.insert(entry.key).second) out += std::string(kMarker) + entry.key + "\n" + entry.line + "\n";
  }
  return out;
}

}  // namespace nodeboot::storage
