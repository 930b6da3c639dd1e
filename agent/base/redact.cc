#include "agent/base/redact.h"

#include <algorithm>
#include <cctype>

#include "agent/base/secret.h"

namespace nodeboot {
namespace {
constexpr size_t kMinScriptLine = 8;
}  // namespace

Redactor::Redactor(std::vector<std::string> secrets) {
  for (auto& secret : secrets) {
    // A multi-line secret (a script) is masked line by line too, since logs carry lines; only
    // distinctive lines, so that a script's "exit 0" does not mask every "exit 0" in the log.
    size_t start = 0;
    while (secret.find('\n') != std::string::npos && start <= secret.size()) {
      const size_t end = std::min(secret.find('\n', start), secret.size());
      std::string_view line = std::string_view(secret).substr(start, end - start);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
      if (line.size() >= kMinScriptLine) secrets_.emplace_back(line);
      start = end + 1;
    }
    if (secret.size() >= 4) secrets_.push_back(std::move(secret));
  }
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

Redactor Redactor::ForScriptOutput(const std::vector<std::string>& secrets, std::string_view script) {
  std::vector<std::string> all = secrets;
  all.emplace_back(script);
  Redactor redactor(std::move(all));
  static constexpr std::string_view kSeparators = " \t\r\n=\"'`;:,()[]{}<>|&$\\";
  size_t start = 0;
  while ((start = script.find_first_not_of(kSeparators, start)) != std::string_view::npos) {
    const size_t end = std::min(script.find_first_of(kSeparators, start), script.size());
    if (end - start >= kMinScriptLine) redactor.secrets_.emplace_back(script.substr(start, end - start));
    start = end;
  }
  std::sort(redactor.secrets_.begin(), redactor.secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  redactor.secrets_.erase(std::unique(redactor.secrets_.begin(), redactor.secrets_.end()), redactor.secrets_.end());
  return redactor;
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), Secret::kMask);
      pos += std::char_traits<char>::length(Secret::kMask);
    }
  }
  return out;
}

}  // namespace nodeboot
