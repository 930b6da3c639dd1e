// The error catalog: the packaged data, its patterns against the seeds' events, the file format.
#include "agent/report/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "agent/base/atomic_file.h"
#include "agent/base/error_codes.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::report {
namespace {

using ::testing::HasSubstr;

const Catalog& Builtin() {
  static const Catalog catalog = [] {
    auto parsed = Catalog::Parse(BuiltinCatalogText(), "built-in");
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return std::move(*parsed);
  }();
  return catalog;
}

TEST(BuiltinCatalog, IsThePackagedFileAndParses) {
  auto packaged = ReadFile(std::string(NODEBOOT_SOURCE_DIR) + "/packaging/errors.yaml");
  ASSERT_TRUE(packaged);
  EXPECT_EQ(*packaged, BuiltinCatalogText());
  auto parsed = Catalog::Parse(BuiltinCatalogText(), "built-in");
  ASSERT_TRUE(parsed) << parsed.error().message;
}

// The one list of codes (agent/base/error_codes.h) and the catalog agree both ways: every code
// nodeboot can report has an entry with the same exit code, and every entry of nodeboot's own
// ("NB-...") is a code of the list.
TEST(BuiltinCatalog, AgreesWithTheListOfErrorCodes) {
  std::set<std::string, std::less<>> listed;
  for (const errors::ErrorCode& code : errors::kAll) {
    EXPECT_TRUE(listed.emplace(code.code).second) << code.code << " is listed twice";
    const CatalogEntry* entry = Builtin().Find(code.code);
    ASSERT_NE(entry, nullptr) << code.code << " is in agent/base/error_codes.h but missing from packaging/errors.yaml";
    EXPECT_EQ(entry->code, code.code);
    EXPECT_EQ(entry->exit_code, code.exit_code) << code.code;
    EXPECT_FALSE(entry->cause.empty()) << code.code;
    EXPECT_FALSE(entry->solution.empty()) << code.code;
  }
  size_t own = 0;
  for (const CatalogEntry& entry : Builtin().entries()) {
    if (!entry.code.starts_with("NB-")) continue;
    ++own;
    EXPECT_TRUE(listed.contains(entry.code))
        << entry.code << " is in packaging/errors.yaml but nodeboot cannot report it "
        << "(not in agent/base/error_codes.h)";
  }
  EXPECT_EQ(own, listed.size());
}

// No code is spelled out beside the list: an "NB-..." literal in the agent's or the storage
// library's sources (a code compared, logged or built by hand) is one of the list's.
TEST(BuiltinCatalog, CodesInTheSourcesAreThoseOfTheList) {
  std::set<std::string, std::less<>> listed;
  for (const errors::ErrorCode& code : errors::kAll) listed.emplace(code.code);
  const std::regex code_literal(R"x("(NB-[A-Z][A-Z-]*)")x");
  size_t literals = 0;
  for (const char* dir : {"agent", "storage"}) {
    const auto root = std::filesystem::path(NODEBOOT_SOURCE_DIR) / dir;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      const auto ext = entry.path().extension();
      if (ext != ".cc" && ext != ".h") continue;
      const auto text = ReadFile(entry.path());
      ASSERT_TRUE(text);
      for (std::sregex_iterator it(text->begin(), text->end(), code_literal), end; it != end; ++it) {
        ++literals;
        EXPECT_TRUE(listed.contains((*it)[1].str()))
            << (*it)[1] << " in " << entry.path().string() << " is not in agent/base/error_codes.h";
      }
    }
  }
  EXPECT_GE(literals, listed.size());  // the list itself spells each one
}

TEST(BuiltinCatalog, ExitCodesAreThoseOfTheSpec) {
  const std::map<std::string, int> expected = {{"NB-INTERNAL", 1},
                                               {"NB-CONFIG-INVALID", 2},
                                               {"NB-LOCKED", 3},
                                               {"NB-PREINSTALL-FAILED", 10},
                                               {"NB-PREINSTALL-TIMEOUT", 11},
                                               {"NB-STORAGE-UNSATISFIABLE", 20},
                                               {"NB-STORAGE-UNSAFE-DISK", 21},
                                               {"NB-STORAGE-COMMAND-FAILED", 22},
                                               {"NB-JOIN-FAILED", 30},
                                               {"NB-JOIN-TIMEOUT", 31},
                                               {"NB-POSTINSTALL-FAILED", 40},
                                               {"NB-POSTINSTALL-TIMEOUT", 41}};
  for (const auto& [code, exit] : expected) {
    const CatalogEntry* entry = Builtin().Find(code);
    ASSERT_NE(entry, nullptr) << code;
    EXPECT_EQ(entry->exit_code, exit) << code;
  }
}

// Lines as the seeds (CCE FAQ, ACK scaling errors) and real tools print them.
TEST(BuiltinCatalog, ClassifiesTheNodePoolFailureEvents) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"...call fsp to query keypair fail, error code : Ecs.0314, reason is : the keypair *** does "
       "not match the "
       "user_id ***...",
       "CLOUD-KEYPAIR-UNAVAILABLE"},
      {"The inventory of ECS instances in the current zone is insufficient.", "CLOUD-INSTANCE-NO-STOCK"},
      {"Code: OperationDenied.NoStock, the resource is out of stock", "CLOUD-INSTANCE-NO-STOCK"},
      {"The current ECS instance type is out of stock in the specified zone.", "CLOUD-INSTANCE-NO-STOCK"},
      {"Some nodes failed to be created due to insufficient inventory.", "CLOUD-INSTANCE-NO-STOCK"},
      {"The inventory of disks is insufficient in the specified zone.", "CLOUD-DISK-NO-STOCK"},
      {"The number of ECS instances created based on the specified instance type in the current "
       "region has "
       "exceeded the quota limit.",
       "CLOUD-QUOTA-EXCEEDED"},
      {"QuotaExceed.ElasticQuota: the quota of instances is exceeded", "CLOUD-QUOTA-EXCEEDED"},
      {"The Image bootMode BIOS does not match instanceType bootMode", "CLOUD-BOOT-MODE-MISMATCH"},
      {"The specified instanceType is not supported by the image architecture.", "CLOUD-IMAGE-ARCH-MISMATCH"},
      {"The specified image does not support vSGX instance.", "CLOUD-IMAGE-SECURITY-MISMATCH"},
      {"The specified instanceType only support vTPM image.", "CLOUD-IMAGE-SECURITY-MISMATCH"},
      {"You do not have the permissions to use the specified instance type.", "CLOUD-INSTANCE-TYPE-NO-PERMISSION"},
      {"an error on the server (\"Get \\\"https://10.0.0.10:6443\\\": dial tcp 10.0.0.10:6443: "
       "connect: "
       "connection refused\") has prevented the request from succeeding",
       "CLOUD-APISERVER-REFUSED"},
      {"The connection to the server 10.0.0.10:6443 was refused - did you specify the right host "
       "or port?",
       "CLOUD-APISERVER-REFUSED"},
      {"The task is throttled by the Kubernetes API server of the cluster.", "CLOUD-APISERVER-THROTTLED"},
      {"Throttling.User: Request was denied due to user flow control.", "CLOUD-APISERVER-THROTTLED"},
      {"The specified Key Management Service (KMS) key is disabled.", "CLOUD-KMS-KEY-DISABLED"},
      {"You do not have the permissions to access KMS: Forbidden", "CLOUD-KMS-NO-PERMISSION"},
      {"assign the AliyunECSDiskEncryptDefaultRole role to ECS", "CLOUD-KMS-NO-PERMISSION"},
      {"The specified disk category (cloud_ssd) is not support the specified instance type.",
       "CLOUD-DISK-CATEGORY-UNSUPPORTED"},
      {"System disk encryption supports only enhanced SSDs (ESSDs).", "CLOUD-SYSTEM-DISK-ENCRYPTION-ESSD"},
      {"InvalidAccountStatus.NotEnoughBalance: Your account does not have enough balance.",
       "CLOUD-INSUFFICIENT-BALANCE"},
      {"Your account does not have a sufficient balance.", "CLOUD-INSUFFICIENT-BALANCE"},
      {"InvalidVSwitchId.IpNotEnough: The specified VSwitch has no enough IP.", "CLOUD-VSWITCH-IP-EXHAUSTED"},
      {"The idle private IP addresses provided by the current vSwitch are insufficient.", "CLOUD-VSWITCH-IP-EXHAUSTED"},
      {"The scale-out task times out.", "CLOUD-SCALE-OUT-TIMEOUT"},
      {"Try again later because the node pool is being scaled.", "CLOUD-SCALING-CONFLICT"},
      {"The ECS instances fail to start up.", "CLOUD-INSTANCE-START-FAILED"},
      {"The specified instance type is not supported in the current zone", "CLOUD-INSTANCE-TYPE-UNSUPPORTED"},
      // bash 5.2 on a script saved with CRLF line endings (the second: a path, masked).
      {"/var/lib/nodeboot/scripts/preInstall: line 1: $'\\r': command not found", "SCRIPT-WINDOWS-LINE-ENDINGS"},
      {"ls: cannot access '***'$'\\r': No such file or directory", "SCRIPT-WINDOWS-LINE-ENDINGS"},
      {"state: write /var/lib/nodeboot/state.json.tmp.12881: No space left on device", "NODE-DISK-FULL"},
      {"tar: ./data: Cannot write: Disk quota exceeded", "NODE-DISK-FULL"},
  };
  for (const auto& [line, code] : cases) {
    const CatalogEntry* entry = Builtin().Classify(line);
    ASSERT_NE(entry, nullptr) << line;
    EXPECT_EQ(entry->code, code) << line;
  }
}

TEST(BuiltinCatalog, OrdinaryLinesAreNotClassified) {
  for (const char* line : {"Nov 22 10:00:01 host cloud-init[812]: Cloud-init v. 22.4.2 running 'modules:config'",
                           "nodeboot: info phase preInstall: succeeded in 812 ms",
                           "I1122 10:00:00 request.go:690] Waited for 1.04s due to client-side throttling, not "
                           "priority and fairness",
                           "nodeboot: warn report 1: not delivered (POST http://127.0.0.1:1/x: Failed to connect to "
                           "127.0.0.1 port 1)",
                           "kernel: EXT4-fs (vdb): mounted filesystem with ordered data mode"}) {
    const CatalogEntry* entry = Builtin().Classify(line);
    EXPECT_EQ(entry, nullptr) << line << " -> " << entry->code;
  }
}

TEST(CatalogParse, ReportsEveryProblemWithItsLine) {
  auto parsed = Catalog::Parse(
      "errors:\n"
      "  - code: NB-X\n"
      "    cause: c\n"
      "    solution: s\n"
      "  - code: NB-Y\n"
      "    exitCode: 300\n"
      "    colour: red\n"
      "    cause: c\n"
      "events:\n"
      "  - code: EV\n"
      "    patterns: ['(unclosed']\n"
      "    cause: c\n"
      "    solution: s\n",
      "test.yaml");
  ASSERT_FALSE(parsed);
  const std::string& message = parsed.error().message;
  EXPECT_THAT(message, HasSubstr("test.yaml:2: NB-X: exitCode is required"));
  EXPECT_THAT(message, HasSubstr("test.yaml:6: exitCode must be 0..255"));
  EXPECT_THAT(message, HasSubstr("test.yaml:7: unknown key \"colour\""));
  EXPECT_THAT(message, HasSubstr("NB-Y: solution is required"));
  EXPECT_THAT(message, HasSubstr("test.yaml:11: pattern \"(unclosed\" is not a POSIX extended regex"));
  EXPECT_FALSE(
      Catalog::Parse("errors: [{code: A, exitCode: 1, cause: c, solution: s},"
                     " {code: a, exitCode: 1, cause: c, solution: s}]",
                     "dup"));
  EXPECT_FALSE(Catalog::Parse("[]", "list"));
  EXPECT_FALSE(Catalog::Parse("events: [{code: E, cause: c, solution: s}]", "no patterns"));
}

TEST(CatalogAdd, AdditionsReplaceByCodeAndAreMatchedFirst) {
  Catalog catalog = Builtin();
  auto extra = Catalog::Parse(
      "events:\n"
      "  - {code: SITE-MIRROR-DOWN, patterns: ['mirror\\.example\\.com.*refused'], cause: c1, "
      "solution: s1}\n"
      "  - {code: CLOUD-KEYPAIR-UNAVAILABLE, patterns: ['keypair gone'], cause: ours, solution: "
      "ours too}\n",
      "site.yaml");
  ASSERT_TRUE(extra) << extra.error().message;
  catalog.Add(std::move(*extra));
  EXPECT_EQ(catalog.Classify("GET mirror.example.com: dial tcp 1.2.3.4:443: connect: connection refused")->code,
            "SITE-MIRROR-DOWN");
  EXPECT_EQ(catalog.Find("cloud-keypair-unavailable")->cause, "ours");
  EXPECT_EQ(catalog.Classify("the keypair gone away")->code, "CLOUD-KEYPAIR-UNAVAILABLE");
  EXPECT_EQ(catalog.Classify("error code : Ecs.0314"),
            nullptr);  // the replaced entry's patterns are gone
  EXPECT_EQ(catalog.entries().size(), Builtin().entries().size() + 1);
}

TEST(LoadCatalog, InstalledFileThenAdditionsWithWarningsForBadFiles) {
  testing::TempDir root;
  const Paths paths(root.path());
  auto plain = LoadCatalog(paths);
  EXPECT_TRUE(plain.warnings.empty());
  EXPECT_NE(plain.catalog.Find("NB-INTERNAL"), nullptr);  // the built-in one

  root.Write("usr/share/nodeboot/errors.yaml", "errors: [{code: NB-ONLY, exitCode: 1, cause: c, solution: s}]\n");
  root.Write("etc/nodeboot/errors.d/10-site.yaml", "events: [{code: SITE, patterns: [site], cause: c, solution: s}]");
  root.Write("etc/nodeboot/errors.d/20-broken.yaml", "events: [{code: BAD}]");
  root.Write("etc/nodeboot/errors.d/README", "not yaml, not read");
  auto loaded = LoadCatalog(paths);
  EXPECT_NE(loaded.catalog.Find("NB-ONLY"), nullptr);
  EXPECT_EQ(loaded.catalog.Find("NB-INTERNAL"),
            nullptr);  // the installed file wins over the built-in
  EXPECT_EQ(loaded.catalog.Classify("a site line")->code, "SITE");
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_THAT(loaded.warnings[0], HasSubstr("20-broken.yaml"));

  root.Write("usr/share/nodeboot/errors.yaml", "errors: [oops\n");
  auto fallback = LoadCatalog(paths);
  EXPECT_NE(fallback.catalog.Find("NB-INTERNAL"), nullptr);
  EXPECT_THAT(fallback.warnings[0], HasSubstr("using the built-in catalog"));
}

TEST(Describe, NamesCodeTitleExitCodeCauseAndSolution) {
  EXPECT_EQ(Describe({"NB-X", 21, "a title", "the cause", "the fix", {}, ""}),
            "NB-X: a title (exit code 21)\nCause: the cause\nSolution: the fix\n");
}

}  // namespace
}  // namespace nodeboot::report
