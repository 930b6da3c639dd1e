#include "agent/base/redact.h"

#include <gtest/gtest.h>

#include "agent/base/output_tail.h"

namespace nodeboot {
namespace {

TEST(Redactor, MasksEverySecretOccurrence) {
  const Redactor redactor({"abcdef.0123456789abcdef", "tok3n-value"});
  EXPECT_EQ(redactor.Redact("join --token abcdef.0123456789abcdef and tok3n-value, tok3n-value"),
            "join --token *** and ***, ***");
  EXPECT_EQ(redactor.Redact("nothing here"), "nothing here");
}

TEST(Redactor, ShortValuesAreNotMasked) { EXPECT_EQ(Redactor({"ab"}).Redact("abba"), "abba"); }

TEST(Redactor, MultiLineSecretsAreMaskedByDistinctiveLines) {
  const Redactor redactor({"#!/bin/sh\nexport PASSWORD=hunter2hunter2\nexit 0\n"});
  EXPECT_EQ(redactor.Redact("+ export PASSWORD=hunter2hunter2"), "+ ***");
  EXPECT_EQ(redactor.Redact("exec: foo: exit 0 in 3 ms"), "exec: foo: exit 0 in 3 ms");  // "exit 0" is not distinctive
}

TEST(Redactor, ScriptOutputAlsoMasksTheScriptsWords) {
  const auto redactor = Redactor::ForScriptOutput({"task-token-1"}, "CANARY=canary-body-77\necho \"$CANARY\"\n");
  EXPECT_EQ(redactor.Redact("canary-body-77"), "***");
  EXPECT_EQ(redactor.Redact("task-token-1 ok"), "*** ok");
  EXPECT_EQ(redactor.Redact("echo"), "echo");  // short words stay
}

// Issue 15.10: credentials in a URL's userinfo and query.
TEST(UrlCredentials, UserinfoAndCredentialQueryValuesOnly) {
  EXPECT_EQ(UrlCredentials("https://user:pa55word@host:8443/p?x=1"),
            (std::vector<std::string>{"user:pa55word", "pa55word"}));
  EXPECT_EQ(UrlCredentials("https://host/r?region=eu&access_token=abc123&X-Amz-Signature=f00d#frag"),
            (std::vector<std::string>{"abc123", "f00d"}));
  EXPECT_TRUE(UrlCredentials("https://host/v1/tasks/t-1/result?region=eu&token=").empty());
  EXPECT_TRUE(UrlCredentials("https://host/path@with-at").empty());  // '@' after the authority
  EXPECT_EQ(RedactUrl("https://user:pa55word@host/r?apikey=k3y&a=b"), "https://***@host/r?apikey=***&a=b");
  EXPECT_EQ(RedactUrl("not a url"), "not a url");
}

TEST(OutputTail, KeepsTheLastBytesAsWholeLines) {
  OutputTail tail(10);
  for (const char* line : {"aaaa", "bbbb", "cccc"}) tail.Add(line);
  EXPECT_EQ(tail.Lines(), (std::vector<std::string>{"bbbb", "cccc"}));
  tail.Add(std::string(25, 'x'));
  EXPECT_EQ(tail.Lines(), (std::vector<std::string>{std::string(10, 'x')}));
}

}  // namespace
}  // namespace nodeboot
