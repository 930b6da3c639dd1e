// Reading kubelet.conf (agent/join/kubeconfig.h).
#include "agent/join/kubeconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/base/base64.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::join {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Resolve(std::string_view path) { return "/root" + std::string(path); }

Result<ApiCredentials> Parse(const std::string& text) { return ParseKubeconfig(text, "kubelet.conf", Resolve); }

constexpr const char* kKubeadmStyle = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EgUEVN
    server: https://10.0.0.10:6443/
  name: kubernetes
- cluster:
    server: https://elsewhere:6443
  name: other
contexts:
- context:
    cluster: kubernetes
    user: system:node:worker-1
  name: system:node:worker-1@kubernetes
current-context: system:node:worker-1@kubernetes
kind: Config
users:
- name: system:node:worker-1
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
)";

TEST(KubeconfigTest, ReadsTheCurrentContextsClusterAndUser) {
  const auto credentials = Parse(kKubeadmStyle);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->server, "https://10.0.0.10:6443");
  EXPECT_EQ(credentials->tls.ca_pem, "CA PEM");
  EXPECT_EQ(credentials->tls.client_cert_file, "/root/var/lib/kubelet/pki/kubelet-client-current.pem");
  EXPECT_EQ(credentials->tls.client_key_file, "/root/var/lib/kubelet/pki/kubelet-client-current.pem");
  EXPECT_TRUE(credentials->token.empty());
  const HttpRequest request = credentials->Get("/api/v1/nodes/worker-1");
  EXPECT_EQ(request.url, "https://10.0.0.10:6443/api/v1/nodes/worker-1");
  EXPECT_TRUE(request.secret_headers.empty());
}

TEST(KubeconfigTest, InlineKeyAndTokenAreSecrets) {
  const std::string text =
      "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:8080', "
      "certificate-authority: /ca.crt}\n"
      "users:\n- name: u\n  user:\n    client-certificate-data: " +
      EncodeBase64("CERT") + "\n    client-key-data: " + EncodeBase64("KEY") + "\n    token: tok-123456\n";
  const auto credentials = Parse(text);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->tls.ca_file, "/root/ca.crt");
  EXPECT_EQ(credentials->tls.client_cert_pem, "CERT");
  EXPECT_EQ(credentials->tls.client_key_pem.Reveal(), "KEY");
  const HttpRequest request = credentials->Get("/x");
  ASSERT_EQ(request.secret_headers.size(), 1u);
  EXPECT_EQ(request.secret_headers[0].second.Reveal(), "Bearer tok-123456");
}

TEST(KubeconfigTest, ErrorsNameTheProblemAndNeverTheCredential) {
  EXPECT_THAT(Parse("current-context: x\ncontexts: []\n").error().message,
              HasSubstr("kubelet.conf: current-context \"x\" is not in contexts"));
  EXPECT_THAT(Parse("clusters: []\n").error().message, HasSubstr("no cluster"));
  EXPECT_THAT(Parse("clusters:\n- name: c\n  cluster: {server: ftp://x}\n").error().message,
              HasSubstr("not an http(s) URL"));
  const auto bad = Parse(
      "clusters:\n- name: c\n  cluster: {server: 'https://x'}\nusers:\n- name: u\n"
      "  user: {client-certificate: /c.pem, client-key-data: 'sekrit-key-material!'}\n");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("client-key-data: not base64"));
  EXPECT_THAT(bad.error().message, Not(HasSubstr("sekrit")));
  EXPECT_EQ(bad.error().exit_code, 30);
  EXPECT_THAT(Parse("clusters:\n- name: c\n  cluster: {server: 'https://x'}\nusers:\n- name: u\n"
                    "  user: {client-certificate: /c.pem}\n")
                  .error()
                  .message,
              HasSubstr("client certificate but no client key"));
  EXPECT_THAT(Parse("a: [").error().message, HasSubstr("kubelet.conf: not a kubeconfig"));
}

TEST(KubeconfigTest, ReadKubeconfigResolvesUnderTheRootAndReadsTheTokenFile) {
  testing::TempDir root;
  root.Write("etc/kubernetes/kubelet.conf",
             "clusters:\n- name: c\n  cluster: {server: 'https://x:6443', certificate-authority: "
             "pki/ca.crt}\n"
             "users:\n- name: u\n  user: {tokenFile: /var/run/token}\n");
  root.Write("var/run/token", "tok-abcdef\n");
  const auto credentials = ReadKubeconfig(Paths(root.path()), "/etc/kubernetes/kubelet.conf");
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->tls.ca_file, (root.path() / "etc/kubernetes/pki/ca.crt").string());
  EXPECT_EQ(credentials->token.Reveal(), "tok-abcdef");
  EXPECT_FALSE(ReadKubeconfig(Paths(root.path()), "/etc/kubernetes/missing.conf"));
}

}  // namespace
}  // namespace nodeboot::join
