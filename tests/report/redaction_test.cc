// The redaction added for reports (agent/base/redact.h): base64 forms and split secrets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/base/base64.h"
#include "agent/base/redact.h"

namespace nodeboot {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "tok3n-Secret-Value-42";

// The first 4-byte piece of `secret` that can still be read in `text` as base64, at any of the
// three alignments a piece can have in an encoded stream (only the characters whose 6 bits all
// come from the piece are looked for); "" when no piece can be read back.
std::string LeakedPiece(const std::string& text, const std::string& secret) {
  constexpr size_t kPiece = 4;
  for (size_t start = 0; start + kPiece <= secret.size(); ++start) {
    const std::string piece = secret.substr(start, kPiece);
    for (size_t offset = 0; offset < 3; ++offset) {
      const std::string encoded = EncodeBase64(std::string(offset, 'x') + piece);
      const size_t begin = (8 * offset + 5) / 6;
      const size_t end = 8 * (offset + kPiece) / 6;
      if (text.find(encoded.substr(begin, end - begin)) != std::string::npos) return piece;
    }
  }
  return "";
}

TEST(Base64Fragments, EveryAlignmentOfTheSecretInAnEncodedStreamIsCaught) {
  const Redactor redactor(WithBase64Forms({kToken}));
  for (const std::string before : {"", "a", "ab", "abc", "token: ", "x=1\ntoken: "}) {
    for (const std::string after : {"", "\n", "!", "\nmore text"}) {
      const std::string encoded = EncodeBase64(before + kToken + after);
      const std::string masked = redactor.Redact("data: " + encoded);
      EXPECT_THAT(masked, HasSubstr("***")) << before << "|" << after;
      // What is left cannot be decoded back to any 4 bytes of the token; the check does find
      // them where nothing was masked.
      ASSERT_NE(LeakedPiece(encoded, kToken), "") << before << "|" << after;
      EXPECT_EQ(LeakedPiece(masked, kToken), "") << before << "|" << after;
    }
  }
}

TEST(Base64Fragments, UrlSafeFormAndShortSecrets) {
  const std::string secret = "\xfb\xff\xbf-needs-url-safe-chars";
  const std::string url_safe = [&] {
    std::string s = EncodeBase64(secret);
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return s;
  }();
  ASSERT_NE(url_safe, EncodeBase64(secret));
  EXPECT_THAT(Redactor(WithBase64Forms({secret})).Redact(url_safe), HasSubstr("***"));
  EXPECT_TRUE(Base64Fragments("abc").empty());  // too short to be distinctive in base64
  EXPECT_EQ(Base64Fragments("12345678").size(), 3u);
}

TEST(Base64Fragments, LinesOfAScriptAreCoveredOneByOne) {
  const std::string script = "#!/bin/sh\nexport PASSWORD=hunter2hunter2\nexit 0\n";
  const Redactor redactor(WithBase64Forms({script}));
  EXPECT_THAT(redactor.Redact(EncodeBase64("export PASSWORD=hunter2hunter2")), HasSubstr("***"));
  EXPECT_THAT(redactor.Redact(EncodeBase64(script)), HasSubstr("***"));
  EXPECT_EQ(redactor.Redact(EncodeBase64("exit 0")), EncodeBase64("exit 0"));
}

TEST(ThoroughRedactor, MasksASecretSplitAcrossTokens) {
  const ThoroughRedactor redactor({"abcdef.0123456789abcdef", kToken});
  EXPECT_EQ(redactor.Redact("token abcdef 0123456789abcdef end"), "token *** end");
  EXPECT_EQ(redactor.Redact(R"(["tok3n-Sec", "ret-Value-42"])"), R"(["***"])");
  EXPECT_EQ(redactor.Redact("plain abcdef.0123456789abcdef"), "plain ***");
  EXPECT_EQ(redactor.Redact("id abcdef is public"),
            "id abcdef is public");  // a piece alone is not the secret
  EXPECT_EQ(redactor.Redact("line one tok3n-\nSecret-Value-42"), "line one tok3n-\nSecret-Value-42")
      << "lines are redacted one by one";
  EXPECT_THAT(redactor.Redact(EncodeBase64(std::string("x") + kToken)), HasSubstr("***"));
}

TEST(ThoroughRedactor, ShortSecretsAreNotMatchedInPieces) {
  const ThoroughRedactor redactor({"ab-cd"});
  EXPECT_EQ(redactor.Redact("ab cd"), "ab cd");
  EXPECT_EQ(redactor.Redact("x ab-cd"), "x ***");
}

TEST(ThoroughRedactor, ScriptLinesAreMatchedInPiecesToo) {
  const ThoroughRedactor redactor({"#!/bin/sh\ncurl -H 'X-Key: k9k9k9k9k9' https://mirror\n"});
  EXPECT_THAT(redactor.Redact("+ curl -H X-Key:k9k9k9k9k9 https://mirror"), Not(HasSubstr("k9k9")));
}

TEST(ThoroughRedactor, EmptyRedactorChangesNothing) {
  EXPECT_EQ(ThoroughRedactor().Redact("a\nb"), "a\nb");
  EXPECT_EQ(ThoroughRedactor(std::vector<std::string>{}).Redact(""), "");
}

}  // namespace
}  // namespace nodeboot
