// UpdateFstab and ForeignLinesFor (storage/fstab.h) on arbitrary fstab text. The input's
// first line names the entries nodeboot writes (space-separated "vg/lv=mountpoint"), the rest
// is the current /etc/fstab.
//   - Every line nodeboot does not own stays, in order and byte for byte (issue 14: an
//     operator's line after a stale marker must survive).
//   - The update is idempotent, and writes each entry exactly once, right after its marker.
//   - The foreign lines for the entries' mount points are the same before and after.
#include <algorithm>
#include <string>
#include <vector>

#include "storage/fstab.h"
#include "storage/spec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace nodeboot::storage;

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool IsSubsequence(const std::vector<std::string_view>& small, const std::vector<std::string_view>& big) {
  size_t i = 0;
  for (const auto& line : big) {
    if (i < small.size() && line == small[i]) ++i;
  }
  return i == small.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = nodeboot::fuzz::AsText(data, size);
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::vector<FstabEntry> entries;
  std::vector<std::string> points;
  for (const auto& word : Words(text.substr(0, newline))) {
    const size_t slash = word.find('/'), equals = word.find('=');
    if (slash == 0 || slash == std::string_view::npos || equals == std::string_view::npos || equals < slash + 2 ||
        equals + 1 == word.size() || word.find_first_of("\t\r\v\f") != std::string_view::npos) {
      continue;
    }
    const std::string key(word.substr(0, equals));
    bool repeated = false;
    for (const auto& entry : entries) repeated |= entry.key == key;
    if (repeated) continue;
    const std::string point(word.substr(equals + 1));
    entries.push_back({key, DmPath(key.substr(0, slash), key.substr(slash + 1)) + " " + point + " ext4 defaults 0 2"});
    points.push_back(point);
  }
  const std::string current(text.substr(newline + 1));
  const std::string updated = UpdateFstab(current, entries);
  FUZZ_CHECK(UpdateFstab(updated, entries) == updated);

  // Foreign lines: every one of the input is in the output, in order, and the check sees the same.
  const auto before = ForeignLinesFor(current, points);
  const auto after = ForeignLinesFor(updated, points);
  FUZZ_CHECK(before.size() == after.size());
  for (size_t i = 0; i < before.size(); ++i) FUZZ_CHECK(before[i].line == after[i].line);

  // Each entry once, right after its marker.
  const auto lines = nodeboot::fuzz::SplitLines(updated);
  for (const auto& entry : entries) {
    int markers = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] != "# nodeboot: " + entry.key) continue;
      ++markers;
      FUZZ_CHECK(i + 1 < lines.size() && lines[i + 1] == entry.line);
    }
    FUZZ_CHECK(markers == 1);
  }
  // Nothing nodeboot did not write is lost: the input's lines that are neither markers nor
  // entries for an LV keep their order in the output.
  std::vector<std::string_view> kept;
  const auto input_lines = nodeboot::fuzz::SplitLines(current);
  for (size_t i = 0; i < input_lines.size(); ++i) {
    const auto line = input_lines[i];
    if (line.starts_with("# nodeboot: ") || line.starts_with("/dev/mapper/")) continue;
    if (i + 1 == input_lines.size() && line.empty()) continue;  // the text's final newline
    kept.push_back(line);
  }
  FUZZ_CHECK(IsSubsequence(kept, lines));
  return 0;
}
