// Redaction: every configured secret value replaced by "***" before a line reaches a log,
// state, a plan or a report. Pure and cheap enough to run on every log line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nodeboot {

class Redactor {
 public:
  Redactor() = default;
  // Values shorter than 4 characters are not masked: masking "a" or "1" everywhere would
  // destroy every line while protecting nothing.
  explicit Redactor(std::vector<std::string> secrets);

  // A redactor for a script's own output: besides the secrets, every word of the script of 8
  // characters or more, so a script that echoes part of itself does not leak it. Too blunt for
  // nodeboot's own lines, which is why it applies only to the script's output.
  static Redactor ForScriptOutput(const std::vector<std::string>& secrets, std::string_view script);

  std::string Redact(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret containing another is masked whole
};

}  // namespace nodeboot
