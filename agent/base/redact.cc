#include "agent/base/redact.h"

#include <algorithm>

#include "agent/base/base64.h"
#include "agent/base/secret.h"
#include "agent/base/text.h"

namespace nodeboot {
namespace {
constexpr size_t kMinScriptLine = 8;

// Base64 fragments and split secrets shorter than this are not matched: 8 characters of a
// random token do not occur by chance, 5 might.
constexpr size_t kMinFragment = 8;

// What may sit between the pieces of a split secret: blanks, quotes, punctuation. '*' is not
// one, so an already masked "***" never joins two pieces.
constexpr std::string_view kSplitSeparators = " \t\r\"'`,;:.-_+/=()[]{}<>|&$\\!?#@%^~";

bool IsSplitSeparator(char c) { return kSplitSeparators.find(c) != std::string_view::npos; }

std::string WithoutSeparators(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!IsSplitSeparator(c)) out.push_back(c);
  }
  return out;
}

// The distinctive lines of a multi-line secret (a script), trimmed; a one-line secret itself.
std::vector<std::string_view> SecretPieces(std::string_view secret) {
  if (secret.find('\n') == std::string_view::npos) return {secret};
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (start < secret.size()) {
    const size_t end = std::min(secret.find('\n', start), secret.size());
    const std::string_view line = TrimWhitespace(secret.substr(start, end - start));
    if (line.size() >= kMinScriptLine) pieces.push_back(line);
    start = end + 1;
  }
  return pieces;
}

void SortLongestFirstUnique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end(),
            [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

}  // namespace

Redactor::Redactor(std::vector<std::string> secrets) {
  for (auto& secret : secrets) {
    // A multi-line secret (a script) is masked line by line too, since logs carry lines; only
    // distinctive lines, so that a script's "exit 0" does not mask every "exit 0" in the log.
    if (secret.find('\n') != std::string::npos) {
      for (std::string_view line : SecretPieces(secret)) secrets_.emplace_back(line);
    }
    if (secret.size() >= 4) secrets_.push_back(std::move(secret));
  }
  SortLongestFirstUnique(secrets_);
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
  SortLongestFirstUnique(redactor.secrets_);
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

std::vector<std::string> Base64Fragments(std::string_view secret) {
  std::vector<std::string> fragments;
  for (size_t offset = 0; offset < 3; ++offset) {
    // Encode the secret behind `offset` unknown bytes; keep only the characters whose 6 bits
    // all come from the secret: from ceil(8 * offset / 6) to floor(8 * total / 6).
    std::string shifted(offset, '\0');
    shifted.append(secret);
    const std::string encoded = EncodeBase64(shifted);
    const size_t begin = (8 * offset + 5) / 6;
    const size_t end = 8 * shifted.size() / 6;
    if (end <= begin || end - begin < kMinFragment) continue;
    std::string fragment = encoded.substr(begin, end - begin);
    std::string url_safe = fragment;
    std::replace(url_safe.begin(), url_safe.end(), '+', '-');
    std::replace(url_safe.begin(), url_safe.end(), '/', '_');
    if (url_safe != fragment) fragments.push_back(std::move(url_safe));
    fragments.push_back(std::move(fragment));
  }
  return fragments;
}

std::vector<std::string> WithBase64Forms(std::vector<std::string> secrets) {
  std::vector<std::string> all = secrets;
  for (const auto& secret : secrets) {
    for (auto& fragment : Base64Fragments(secret)) all.push_back(std::move(fragment));
    if (secret.find('\n') == std::string::npos) continue;
    for (std::string_view line : SecretPieces(secret)) {
      for (auto& fragment : Base64Fragments(line)) all.push_back(std::move(fragment));
    }
  }
  return all;
}

ThoroughRedactor::ThoroughRedactor(const std::vector<std::string>& secrets) : plain_(WithBase64Forms(secrets)) {
  for (const auto& secret : secrets) {
    for (std::string_view piece : SecretPieces(secret)) {
      std::string compact = WithoutSeparators(piece);
      if (compact.size() >= kMinFragment) compact_.push_back(std::move(compact));
    }
  }
  SortLongestFirstUnique(compact_);
}

std::string ThoroughRedactor::Redact(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    out += RedactSplit(plain_.Redact(line));
    if (end == std::string_view::npos) break;
    out.push_back('\n');
    start = end + 1;
  }
  return out;
}

std::string ThoroughRedactor::RedactSplit(std::string_view line) const {
  if (compact_.empty()) return std::string(line);
  // The line without separators, and where each kept character came from.
  std::string compact;
  std::vector<size_t> origin;
  for (size_t i = 0; i < line.size(); ++i) {
    if (IsSplitSeparator(line[i])) continue;
    compact.push_back(line[i]);
    origin.push_back(i);
  }
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) in `line`
  for (const auto& secret : compact_) {
    size_t pos = 0;
    while ((pos = compact.find(secret, pos)) != std::string::npos) {
      spans.emplace_back(origin[pos], origin[pos + secret.size() - 1] + 1);
      pos += secret.size();
    }
  }
  if (spans.empty()) return std::string(line);
  std::sort(spans.begin(), spans.end());
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < spans.size();) {
    size_t begin = spans[i].first;
    size_t end = spans[i].second;
    for (++i; i < spans.size() && spans[i].first < end; ++i) end = std::max(end, spans[i].second);
    out.append(line.substr(copied, begin - copied));
    out.append(Secret::kMask);
    copied = end;
  }
  out.append(line.substr(copied));
  return out;
}

namespace {

bool NamesACredential(std::string_view name) {
  const std::string lower = AsciiLower(std::string(name));
  for (std::string_view word : {"token", "key", "secret", "passw", "pwd", "sig", "auth", "credential", "session"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// [begin, end) of each credential in `url`.
std::vector<std::pair<size_t, size_t>> CredentialSpans(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> spans;
  const size_t scheme = url.find("://");
  const size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at != std::string_view::npos && at >= authority && at < authority_end) spans.emplace_back(authority, at);
  const size_t query = url.find('?', authority_end);
  if (query == std::string_view::npos) return spans;
  const size_t query_end = std::min(url.find('#', query), url.size());
  for (size_t pos = query + 1; pos < query_end;) {
    const size_t end = std::min(url.find('&', pos), query_end);
    const size_t equals = url.find('=', pos);
    if (equals != std::string_view::npos && equals < end && NamesACredential(url.substr(pos, equals - pos)) &&
        equals + 1 < end) {
      spans.emplace_back(equals + 1, end);
    }
    pos = end + 1;
  }
  return spans;
}

}  // namespace

std::vector<std::string> UrlCredentials(std::string_view url) {
  std::vector<std::string> values;
  for (const auto& [begin, end] : CredentialSpans(url)) {
    const std::string_view value = url.substr(begin, end - begin);
    values.emplace_back(value);
    if (const size_t colon = value.find(':'); colon != std::string_view::npos && colon + 1 < value.size()) {
      values.emplace_back(value.substr(colon + 1));  // the password alone
    }
  }
  return values;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const auto spans = CredentialSpans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second - it->first, "***");
  return out;
}

}  // namespace nodeboot
