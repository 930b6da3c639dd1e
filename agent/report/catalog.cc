#include "agent/report/catalog.h"

#include <fmt/format.h>
#include <regex.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "agent/base/atomic_file.h"
#include "agent/config/document.h"

namespace nodeboot::report {

// POSIX regexes (glibc's matcher does not recurse per character, so a long log line cannot
// exhaust the stack the way std::regex can).
struct Catalog::Matcher {
  regex_t regex{};
  std::string pattern;
  std::string code;

  Matcher() = default;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  ~Matcher() { regfree(&regex); }
};

namespace {

using config::Document;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsValidCode(std::string_view code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Reads one entry of `errors` or `events`, appending problems to `problems`.
class EntryReader {
 public:
  EntryReader(std::string_view origin, std::vector<std::string>& problems) : origin_(origin), problems_(problems) {}

  std::optional<CatalogEntry> Read(const Document& item, bool is_event) {
    if (!item.is_map()) {
      Fail(item.line, fmt::format("an entry must be a mapping, not {}", config::KindName(item.kind)));
      return std::nullopt;
    }
    static const std::set<std::string> kKeys = {"code", "exitCode", "title", "cause", "solution", "patterns"};
    CatalogEntry entry;
    entry.origin = fmt::format("{}:{}", origin_, item.line);
    const size_t problems_before = problems_.size();
    for (const auto& [key, value] : item.members) {
      if (!kKeys.contains(key)) {
        Fail(value.line, fmt::format("unknown key \"{}\"", key));
      } else if (key == "patterns") {
        ReadPatterns(value, entry);
      } else if (!value.is_scalar()) {
        Fail(value.line, fmt::format("{} must be a value, not {}", key, config::KindName(value.kind)));
      } else if (key == "code") {
        entry.code = value.scalar;
      } else if (key == "exitCode") {
        ReadExitCode(value, entry);
      } else if (key == "title") {
        entry.title = value.scalar;
      } else if (key == "cause") {
        entry.cause = value.scalar;
      } else {
        entry.solution = value.scalar;
      }
    }
    if (!IsValidCode(entry.code)) {
      Fail(item.line, fmt::format("code \"{}\" is missing or not [A-Za-z0-9._-]+", entry.code));
    }
    if (entry.cause.empty()) Fail(item.line, fmt::format("{}: cause is required", entry.code));
    if (entry.solution.empty()) {
      Fail(item.line, fmt::format("{}: solution is required", entry.code));
    }
    if (is_event && entry.patterns.empty()) {
      Fail(item.line, fmt::format("{}: an event needs patterns", entry.code));
    }
    if (!is_event && !entry.patterns.empty()) {
      Fail(item.line, fmt::format("{}: patterns belong to events, not to nodeboot's codes", entry.code));
    }
    if (!is_event && !entry.exit_code) {
      Fail(item.line, fmt::format("{}: exitCode is required", entry.code));
    }
    if (problems_.size() != problems_before) return std::nullopt;
    return entry;
  }

  void Fail(int line, std::string message) { problems_.push_back(fmt::format("{}:{}: {}", origin_, line, message)); }

 private:
  void ReadPatterns(const Document& value, CatalogEntry& entry) {
    if (!value.is_sequence()) {
      Fail(value.line, "patterns must be a list");
      return;
    }
    for (const auto& pattern : value.items) {
      if (!pattern.is_scalar() || pattern.scalar.empty()) {
        Fail(pattern.line, "a pattern must be a non-empty string");
        continue;
      }
      regex_t probe;
      const int rc = regcomp(&probe, pattern.scalar.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
      if (rc != 0) {
        char reason[256];
        regerror(rc, &probe, reason, sizeof reason);
        Fail(pattern.line, fmt::format("pattern \"{}\" is not a POSIX extended regex: {}", pattern.scalar, reason));
        continue;
      }
      regfree(&probe);
      entry.patterns.push_back(pattern.scalar);
    }
  }

  void ReadExitCode(const Document& value, CatalogEntry& entry) {
    int code = -1;
    try {
      size_t used = 0;
      code = std::stoi(value.scalar, &used);
      if (used != value.scalar.size()) code = -1;
    } catch (const std::exception&) {
    }
    if (code < 0 || code > 255) {
      Fail(value.line, fmt::format("exitCode must be 0..255, got \"{}\"", value.scalar));
      return;
    }
    entry.exit_code = code;
  }

  std::string_view origin_;
  std::vector<std::string>& problems_;
};

}  // namespace

Result<Catalog> Catalog::Parse(std::string_view text, std::string_view origin) {
  auto document = config::ParseDocument(text);
  if (!document) return Error::Internal(fmt::format("{}: {}", origin, document.error().message));
  std::vector<std::string> problems;
  EntryReader reader(origin, problems);
  Catalog catalog;
  if (!document->is_map()) {
    reader.Fail(document->line, "the catalog must be a mapping with `errors` and `events`");
  } else {
    for (const auto& [key, list] : document->members) {
      if (key != "errors" && key != "events") {
        reader.Fail(list.line, fmt::format("unknown key \"{}\" (expected errors, events)", key));
        continue;
      }
      if (list.is_null()) continue;
      if (!list.is_sequence()) {
        reader.Fail(list.line, fmt::format("{} must be a list", key));
        continue;
      }
      for (const auto& item : list.items) {
        auto entry = reader.Read(item, key == "events");
        if (!entry) continue;
        if (catalog.Find(entry->code)) {
          reader.Fail(item.line, fmt::format("{} is defined twice", entry->code));
          continue;
        }
        catalog.entries_.push_back(std::move(*entry));
      }
    }
  }
  if (!problems.empty()) {
    std::string message = problems.front();
    for (size_t i = 1; i < problems.size(); ++i) message += "; " + problems[i];
    return Error::Internal(message);
  }
  for (const auto& entry : catalog.entries_) {
    for (const auto& pattern : entry.patterns) {
      auto matcher = std::make_shared<Matcher>();
      // Compiled once more for keeps; it compiled above, so this cannot fail.
      if (regcomp(&matcher->regex, pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
        continue;
      }
      matcher->pattern = pattern;
      matcher->code = entry.code;
      catalog.matchers_.push_back(std::move(matcher));
    }
  }
  return catalog;
}

void Catalog::Add(Catalog other) {
  for (auto& entry : other.entries_) {
    auto same = std::find_if(entries_.begin(), entries_.end(),
                             [&entry](const CatalogEntry& e) { return EqualsIgnoringCase(e.code, entry.code); });
    if (same == entries_.end()) {
      entries_.push_back(std::move(entry));
      continue;
    }
    std::erase_if(matchers_, [&same](const auto& m) { return EqualsIgnoringCase(m->code, same->code); });
    *same = std::move(entry);
  }
  matchers_.insert(matchers_.begin(), other.matchers_.begin(), other.matchers_.end());
}

const CatalogEntry* Catalog::Find(std::string_view code) const {
  for (const auto& entry : entries_) {
    if (EqualsIgnoringCase(entry.code, code)) return &entry;
  }
  return nullptr;
}

const CatalogEntry* Catalog::Classify(std::string_view line, std::string* pattern) const {
  const std::string text(line);  // regexec wants a terminated string
  for (const auto& matcher : matchers_) {
    if (regexec(&matcher->regex, text.c_str(), 0, nullptr, 0) != 0) continue;
    if (pattern) *pattern = matcher->pattern;
    return Find(matcher->code);
  }
  return nullptr;
}

std::string Describe(const CatalogEntry& entry) {
  std::string text = entry.code;
  if (!entry.title.empty()) text += ": " + entry.title;
  if (entry.exit_code) text += fmt::format(" (exit code {})", *entry.exit_code);
  return text + fmt::format("\nCause: {}\nSolution: {}\n", entry.cause, entry.solution);
}

LoadedCatalog LoadCatalog(const Paths& paths) {
  LoadedCatalog loaded;
  const auto builtin = [&loaded] {
    auto parsed = Catalog::Parse(BuiltinCatalogText(), "built-in");
    if (parsed) return std::move(*parsed);
    loaded.warnings.push_back(fmt::format("the built-in error catalog is invalid: {}", parsed.error().message));
    return Catalog();
  };
  const auto file = paths.Host(kCatalogFile);
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto text = ReadFile(file, 4 << 20);
    auto parsed = text ? Catalog::Parse(*text, file.string()) : Result<Catalog>(text.error());
    if (parsed) {
      loaded.catalog = std::move(*parsed);
    } else {
      loaded.warnings.push_back(fmt::format("{}; using the built-in catalog", parsed.error().message));
      loaded.catalog = builtin();
    }
  } else {
    loaded.catalog = builtin();  // a build tree, or a node whose file went missing
  }

  const auto dir = paths.Host(kCatalogAdditionsDir);
  std::vector<std::filesystem::path> additions;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml") additions.push_back(it->path());
  }
  std::sort(additions.begin(), additions.end());
  for (const auto& path : additions) {
    auto text = ReadFile(path, 4 << 20);
    auto parsed = text ? Catalog::Parse(*text, path.string()) : Result<Catalog>(text.error());
    if (!parsed) {
      loaded.warnings.push_back(fmt::format("{}; skipped", parsed.error().message));
      continue;
    }
    loaded.catalog.Add(std::move(*parsed));
  }
  return loaded;
}

}  // namespace nodeboot::report
