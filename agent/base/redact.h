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

// The credentials a URL carries (task.url): its userinfo (`user:password@`, whole and the
// password alone) and the values of query parameters whose name says they are one (token,
// key, secret, password, signature, auth, credential, session; any case, as part of a longer
// name too: `access_token`, `X-Amz-Signature`). Added to the secrets, so every redactor masks
// them wherever the URL is quoted: messages, state, `status`, logs, the report.
std::vector<std::string> UrlCredentials(std::string_view url);

// `url` with those parts replaced by "***": for a message about a URL that did not pass
// validation (no secrets are known yet then).
std::string RedactUrl(std::string_view url);

// The substrings that every base64 encoding (standard and URL-safe alphabets) of a text
// containing `secret` must contain: one per alignment of the secret in the encoded stream
// (it can start at any of the three byte positions of a 3-byte group), without the
// characters that also depend on the neighbouring bytes. Fragments shorter than 8 characters
// are left out (too likely to occur by chance), so a secret of 8 bytes or more is covered at
// every alignment, a shorter one at some or none.
std::vector<std::string> Base64Fragments(std::string_view secret);

// `secrets` plus the base64 fragments of each, and of each distinctive (8+ character) line of
// a multi-line one (a script): a Redactor built from the result also masks a secret that was
// base64-encoded on its way into a log line (`cat config | base64`, a kubeconfig's -data field).
std::vector<std::string> WithBase64Forms(std::vector<std::string> secrets);

// The redactor for what leaves the node (the report, the outbox). On top of Redactor over
// WithBase64Forms(secrets), it masks a secret split across a line's tokens: `abcdef
// 0123456789abcdef`, `"abcd", "ef01"`, a token printed in two halves. Separators (space,
// punctuation, quotes) between the pieces are ignored when matching; the span from the first
// to the last piece is masked. Only secrets (or script lines) with 8 or more non-separator
// characters are matched this way: shorter ones would mask innocent text.
class ThoroughRedactor {
 public:
  ThoroughRedactor() = default;
  explicit ThoroughRedactor(const std::vector<std::string>& secrets);

  // Redacts each line of `text` (split at '\n') and joins them again.
  std::string Redact(std::string_view text) const;

 private:
  std::string RedactSplit(std::string_view line) const;

  Redactor plain_;
  std::vector<std::string> compact_;  // secrets without separators, longest first
};

}  // namespace nodeboot
