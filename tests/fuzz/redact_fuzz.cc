// Redaction (agent/base/redact.h): Redactor, Redactor::ForScriptOutput and ThoroughRedactor
// over arbitrary secrets and text, with a secret planted in the text.
//
// Input: one control byte, then NUL-separated pieces; the last piece is the text, the ones
// before it (at most 8) are the secrets. The control byte picks the redactor (bits 0-1), how
// the first secret is planted in the text (bits 2-3: not, as is, base64-encoded behind 0-2
// bytes of the text, split by separators) and where (bits 4-7).
//
// Properties, for secrets of at least 4 characters without '*' (the mask itself could
// rebuild a secret made of '*', and shorter values are not masked by design):
//   - no redactor leaves a secret in its output, nor a distinctive line of a multi-line one;
//   - the script-output redactor also leaves none of the script's 8+ character words;
//   - the thorough redactor leaves, on no output line, a base64 form of a secret nor the
//     secret with the separators between its pieces removed (8+ characters);
//   - redacting twice changes nothing more (when no value holds a '*').
#include <string>
#include <vector>

#include "agent/base/base64.h"
#include "agent/base/redact.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace nodeboot;

constexpr size_t kMaxSecrets = 8;
constexpr std::string_view kSplitSeparators = " \t\r\"'`,;:.-_+/=()[]{}<>|&$\\!?#@%^~";
constexpr std::string_view kWordSeparators = " \t\r\n=\"'`;:,()[]{}<>|&$\\";

bool Maskable(std::string_view value, size_t min) {
  return value.size() >= min && value.find('*') == std::string_view::npos;
}

std::string WithoutSeparators(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (kSplitSeparators.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

// A secret and, when it has several lines, its distinctive (8+ character, trimmed) lines.
std::vector<std::string> Forms(const std::string& secret) {
  std::vector<std::string> forms{secret};
  if (secret.find('\n') == std::string::npos) return forms;
  size_t start = 0;
  while (start <= secret.size()) {
    const size_t end = std::min(secret.find('\n', start), secret.size());
    const std::string_view line = TrimWhitespace(std::string_view(secret).substr(start, end - start));
    if (line.size() >= 8) forms.emplace_back(line);
    start = end + 1;
  }
  return forms;
}

std::string Plant(uint8_t control, const std::string& secret, const std::string& text) {
  const size_t where = text.empty() ? 0 : (control >> 4) * 17 % (text.size() + 1);
  std::string planted;
  switch ((control >> 2) & 3) {
    case 0:
      return text;
    case 1:
      planted = secret;
      break;
    case 2:
      planted = EncodeBase64(text.substr(0, (control >> 4) % 3) + secret);
      break;
    case 3:
      for (size_t i = 0; i < secret.size(); ++i) {
        planted.push_back(secret[i]);
        if (i % 5 == 4) planted += "\", \"";
      }
      break;
  }
  return text.substr(0, where) + planted + text.substr(where);
}

void CheckNoneLeft(std::string_view output, const std::vector<std::string>& values, size_t min) {
  for (const auto& value : values) {
    if (Maskable(value, min)) FUZZ_CHECK(output.find(value) == std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::vector<std::string> pieces;
  const std::string_view rest = fuzz::AsText(data + 1, size - 1);
  size_t start = 0;
  while (true) {
    const size_t end = rest.find('\0', start);
    if (end == std::string_view::npos || pieces.size() == kMaxSecrets) {
      pieces.emplace_back(rest.substr(start));
      break;
    }
    pieces.emplace_back(rest.substr(start, end - start));
    start = end + 1;
  }
  const std::string text_in = pieces.back();
  pieces.pop_back();
  const std::vector<std::string> secrets = pieces;
  const std::string text = secrets.empty() ? text_in : Plant(control, secrets[0], text_in);

  // Masking a value made with '*' can rebuild it from the mask ("a***" in "aa***"), so
  // redacting twice is only stable when no value holds a '*'.
  bool stable = true;
  for (const auto& secret : secrets) stable = stable && secret.find('*') == std::string::npos;

  std::vector<std::string> plain;  // what no output may contain
  for (const auto& secret : secrets) {
    for (auto& form : Forms(secret)) plain.push_back(std::move(form));
  }

  switch (control & 3) {
    case 0: {
      const Redactor redactor(secrets);
      const std::string out = redactor.Redact(text);
      CheckNoneLeft(out, plain, 4);
      if (stable) FUZZ_CHECK(redactor.Redact(out) == out);
      if (secrets.empty()) FUZZ_CHECK(out == text);
      break;
    }
    case 1: {
      // The first piece is the script, the others the secrets.
      const std::string script = secrets.empty() ? "" : secrets[0];
      const std::vector<std::string> others(secrets.begin() + (secrets.empty() ? 0 : 1), secrets.end());
      const Redactor redactor = Redactor::ForScriptOutput(others, script);
      const std::string out = redactor.Redact(text);
      CheckNoneLeft(out, plain, 4);
      std::vector<std::string> words;
      size_t begin = 0;
      while ((begin = script.find_first_not_of(kWordSeparators, begin)) != std::string::npos) {
        const size_t end = std::min(script.find_first_of(kWordSeparators, begin), script.size());
        words.push_back(script.substr(begin, end - begin));
        begin = end;
      }
      CheckNoneLeft(out, words, 8);
      if (stable) FUZZ_CHECK(redactor.Redact(out) == out);
      break;
    }
    default: {
      const ThoroughRedactor redactor(secrets);
      const std::string out = redactor.Redact(text);
      std::vector<std::string> single_line;  // a line-by-line redactor sees no multi-line value
      for (auto& value : WithBase64Forms(plain)) {
        if (value.find('\n') == std::string::npos) single_line.push_back(std::move(value));
      }
      std::vector<std::string> compact;  // of the secrets and their lines, not of base64 forms
      for (const auto& value : plain) {
        if (value.find('\n') == std::string::npos) compact.push_back(WithoutSeparators(value));
      }
      for (std::string_view line : fuzz::SplitLines(out)) {
        CheckNoneLeft(line, single_line, 4);
        CheckNoneLeft(WithoutSeparators(line), compact, 8);
      }
      if (stable) FUZZ_CHECK(redactor.Redact(out) == out);
      FUZZ_CHECK(fuzz::SplitLines(out).size() == fuzz::SplitLines(text).size());
      break;
    }
  }
  return 0;
}
