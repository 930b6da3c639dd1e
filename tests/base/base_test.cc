#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "agent/base/logging.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/base/secret.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

TEST(Base64, DecodesStandardPaddedText) {
  EXPECT_EQ(*DecodeBase64("bHMgLWw="), "ls -l");
  EXPECT_EQ(*DecodeBase64("bHMgLWwK"), "ls -l\n");
  EXPECT_EQ(*DecodeBase64("  \n bHMgLWw= \n"), "ls -l");  // surrounding whitespace ignored
  EXPECT_EQ(*DecodeBase64("YQ=="), "a");
  EXPECT_EQ(*DecodeBase64(""), "");
}

TEST(Base64, RefusesEverythingNonCanonical) {
  struct Case {
    const char* input;
    const char* why;
  };
  for (const Case& c :
       {Case{"bHMgLWw", "multiple of 4"}, Case{"bHMg LWw=", "whitespace at offset 4"},
        Case{"bHMgLW*=", "0x2a at offset 6"}, Case{"bH=gLWw=", "misplaced '='"}, Case{"YQ==YQ==", "misplaced '='"},
        Case{"YR==", "non-zero padding bits"}, Case{"bHMgLWw_", "0x5f"}, Case{"=AAA", "misplaced '='"}}) {
    auto decoded = DecodeBase64(c.input);
    ASSERT_FALSE(decoded) << c.input;
    EXPECT_NE(decoded.error().message.find(c.why), std::string::npos) << c.input << ": " << decoded.error().message;
    EXPECT_EQ(decoded.error().exit_code, exit_code::kInvalidConfig);
  }
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(*DecodeBase64(EncodeBase64(bytes)), bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
}

TEST(Secret, NeverPrints) {
  const Secret token("canary-1234");
  std::ostringstream stream;
  stream << token;
  EXPECT_EQ(stream.str(), "***");
  EXPECT_EQ(fmt::format("{}", token), "***");
  EXPECT_EQ(nlohmann::json(token).dump(), "\"***\"");
  EXPECT_EQ(token.Reveal(), "canary-1234");
}

TEST(Paths, PrefixesTheRoot) {
  EXPECT_EQ(Paths("/").Host("/etc/fstab"), "/etc/fstab");
  EXPECT_EQ(Paths("/tmp/r").Host("/etc/fstab"), "/tmp/r/etc/fstab");
  EXPECT_EQ(Paths("/tmp/r").Host("/"), "/tmp/r");
}

TEST(AtomicFile, WritesWithModeAndReplaces) {
  testing::TempDir dir;
  const auto file = dir.path() / "a/b/state.json";
  ASSERT_TRUE(WriteFileAtomically(file, "one", std::filesystem::perms(0600), std::filesystem::perms(0700)));
  ASSERT_TRUE(WriteFileAtomically(file, "two", std::filesystem::perms(0600)));
  EXPECT_EQ(*ReadFile(file), "two");
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(file.parent_path()), {}), 1);  // no temp left
}

TEST(ReadFile, NamesTheProblem) {
  testing::TempDir dir;
  auto missing = ReadFile(dir.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  auto directory = ReadFile(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("is a directory"), std::string::npos);
  dir.Write("big", std::string(100, 'x'));
  auto big = ReadFile(dir.path() / "big", 10);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("limit"), std::string::npos);
}

Result<int> Half(int x) {
  if (x % 2) return Error::Internal(fmt::format("{} is odd", x));
  return x / 2;
}
Result<int> Quarter(int x) {
  NB_TRY_ASSIGN(int half, Half(x));
  NB_TRY_ASSIGN(int quarter, Half(half));
  return quarter;
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto odd = Quarter(6);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().message, "3 is odd");
}

// The native journal entry (README "Logs"): what an operator filters on with
// `journalctl NODEBOOT_PHASE=storage PRIORITY=3`, and the syslog identity that keeps
// `journalctl -t nodeboot` and /var/log/messages as they were.
TEST(Logging, JournalEntryCarriesTheRunThePhaseAndTheCode) {
  const auto fields = log::JournalFields({.level = log::Level::kError,
                                          .message = "phase storage: failed after 12 ms: sdb holds data",
                                          .run_id = "r-1",
                                          .phase = "storage",
                                          .code = "NB-STORAGE-UNSAFE-DISK"});
  EXPECT_EQ(fields, (std::vector<std::string>{"MESSAGE=phase storage: failed after 12 ms: sdb holds data", "PRIORITY=3",
                                              "SYSLOG_IDENTIFIER=nodeboot", "SYSLOG_FACILITY=3", "NODEBOOT_RUN_ID=r-1",
                                              "NODEBOOT_PHASE=storage", "NODEBOOT_CODE=NB-STORAGE-UNSAFE-DISK"}));
}

TEST(Logging, JournalEntryLeavesOutWhatTheLineDoesNotBelongTo) {
  const auto info = log::JournalFields({.level = log::Level::kInfo, .message = "run r-2: node n"});
  EXPECT_EQ(info, (std::vector<std::string>{"MESSAGE=run r-2: node n", "PRIORITY=6", "SYSLOG_IDENTIFIER=nodeboot",
                                            "SYSLOG_FACILITY=3"}));
  EXPECT_EQ(log::JournalFields({.level = log::Level::kWarn, .message = "w"})[1], "PRIORITY=4");
  EXPECT_EQ(log::JournalFields({.level = log::Level::kDebug, .message = "d"})[1], "PRIORITY=7");
  // A multi-line message stays one MESSAGE field (sd_journal_sendv sends it length-prefixed).
  EXPECT_EQ(log::JournalFields({.message = "a\nb"})[0], "MESSAGE=a\nb");
}

// Announce writes the console one whole line per milestone, masked; Write never does.
TEST(Logging, OnlyMilestonesReachTheConsoleAndMasked) {
  testing::TempDir dir;
  const auto console = dir.path() / "console";
  log::Init({.to_stderr = false, .console = console});
  log::SetSecrets({"s3cr3t-canary"});
  log::Write(log::Level::kInfo, "preInstall stdout: script output s3cr3t-canary");
  log::Announce(log::Level::kInfo, {}, "phase storage: start");
  log::Announce(log::Level::kError, "NB-X", "phase storage: failed: token s3cr3t-canary");
  const std::string text = testing::Slurp(console);
  EXPECT_EQ(text.find("script output"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cr3t-canary"), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("nodeboot[{}]: phase storage: start\n", getpid())), std::string::npos) << text;
  EXPECT_NE(text.find("phase storage: failed: token ***\n"), std::string::npos) << text;
  log::Init({});
  log::SetSecrets({});
}

TEST(Logging, JournalStreamMatchesOnlyTheFileItNames) {
  testing::TempDir dir;
  const auto path = dir.path() / "stream";
  FILE* file = std::fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr);
  struct stat st {};
  ASSERT_EQ(fstat(fileno(file), &st), 0);
  const std::string named = fmt::format("{}:{}", st.st_dev, st.st_ino);
  const std::string other = fmt::format("{}:{}", st.st_dev, st.st_ino + 1);
  EXPECT_TRUE(log::IsJournalStream(named.c_str(), fileno(file)));
  EXPECT_FALSE(log::IsJournalStream(other.c_str(), fileno(file)));
  EXPECT_FALSE(log::IsJournalStream(nullptr, fileno(file)));
  EXPECT_FALSE(log::IsJournalStream("", fileno(file)));
  EXPECT_FALSE(log::IsJournalStream((named + "x").c_str(), fileno(file)));
  EXPECT_FALSE(log::IsJournalStream(named.c_str(), -1));
  std::fclose(file);
}

}  // namespace
}  // namespace nodeboot
