// The error catalog (SPEC §7): nodeboot's own error codes and the node pool failure events
// operators meet, each with a cause and a solution; events also carry patterns that recognise
// them in a log line. The data is packaging/errors.yaml, installed as
// /usr/share/nodeboot/errors.yaml and compiled into the binary as well (so a build tree or a
// node whose file went missing still explains its failures); /etc/nodeboot/errors.d/*.yaml add
// entries or replace entries of the same code.
//
// File format (YAML, read with config::ParseDocument):
//   errors:                      # nodeboot's codes
//     - code: NB-STORAGE-UNSAFE-DISK
//       exitCode: 21
//       title: one line
//       cause: why it happens
//       solution: what to do
//   events:                      # failures seen in logs; same keys plus
//     - code: CLOUD-KEYPAIR-UNAVAILABLE
//       patterns: ['Ecs\.0314']  # POSIX extended regexes, matched case-insensitively
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::report {

struct CatalogEntry {
  std::string code;
  std::optional<int> exit_code;  // nodeboot's codes: the exit code of SPEC §2
  std::string title;
  std::string cause;
  std::string solution;
  std::vector<std::string> patterns;  // events only
  std::string origin;                 // "/usr/share/nodeboot/errors.yaml:12", "built-in:12"
};

class Catalog {
 public:
  // Parses one catalog file; the error lists every problem with its line.
  static Result<Catalog> Parse(std::string_view text, std::string_view origin);

  // Adds `other`'s entries: an entry with a code already present replaces it, and additions
  // are matched before the entries they were added to (an operator's pattern is the more
  // specific one).
  void Add(Catalog other);

  // The entry for `code` (case-insensitive), or nullptr.
  const CatalogEntry* Find(std::string_view code) const;

  // The first event whose pattern matches `line`, or nullptr; `pattern` (optional) gets the
  // pattern that matched.
  const CatalogEntry* Classify(std::string_view line, std::string* pattern = nullptr) const;

  const std::vector<CatalogEntry>& entries() const { return entries_; }

 private:
  struct Matcher;  // a compiled pattern and the index of its entry

  std::vector<CatalogEntry> entries_;
  std::vector<std::shared_ptr<const Matcher>> matchers_;  // in matching order
};

// The entry as `nodeboot explain` prints it: "CODE: title (exit code N)", "Cause: ...",
// "Solution: ...", one per line.
std::string Describe(const CatalogEntry& entry);

// packaging/errors.yaml as compiled into the binary.
std::string_view BuiltinCatalogText();

// The packaged catalog file, under the root.
inline constexpr std::string_view kCatalogFile = "/usr/share/nodeboot/errors.yaml";
inline constexpr std::string_view kCatalogAdditionsDir = "/etc/nodeboot/errors.d";

struct LoadedCatalog {
  Catalog catalog;
  std::vector<std::string> warnings;  // files that were missing, unreadable or invalid
};

// The installed catalog (else, or when it is invalid, the built-in one) plus every
// errors.d/*.yaml in name order; an invalid addition is skipped with a warning. Never fails:
// a report must not be lost because a catalog file is broken.
LoadedCatalog LoadCatalog(const Paths& paths);

}  // namespace nodeboot::report
