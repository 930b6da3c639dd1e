// The libsystemd adapter (agent/base/service_manager.cc) against a socket the test binds as
// systemd would: what arrives, from which PID, and that READY=1 has been read when NotifyReady
// returns.
#include "agent/base/service_manager.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "tests/run/notify_socket.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using ::testing::ElementsAre;

class ServiceManagerTest : public ::testing::Test {
 protected:
  ~ServiceManagerTest() override { ::unsetenv("NOTIFY_SOCKET"); }
  testing::TempDir dir_;
};

TEST_F(ServiceManagerTest, WithoutNotifySocketItDoesNothingAndLoadsNoLibrary) {
  ::unsetenv("NOTIFY_SOCKET");
  auto manager = MakeSystemdServiceManager();
  const auto start = std::chrono::steady_clock::now();
  manager->NotifyStatus("phase storage");
  manager->NotifyReady("ready");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_NOLOAD), nullptr);  // start-up cost: none
}

TEST_F(ServiceManagerTest, ReadyIsSentOnceAndHasBeenReadWhenNotifyReadyReturns) {
  testing::NotifySocket socket(dir_.path() / "notify");
  ::setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  auto manager = MakeSystemdServiceManager();
  manager->NotifyStatus("phase storage");
  const auto start = std::chrono::steady_clock::now();
  manager->NotifyReady("data directories in place\nsecond line dropped");
  // No waiting here: the barrier returned, so the socket has read everything sent before it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  auto messages = socket.Messages();
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[0].text, "STATUS=phase storage");
  EXPECT_EQ(messages[1].text, "READY=1\nSTATUS=data directories in place");
  manager->NotifyReady("bootstrapped");  // the end of the run: a status, not a second READY
  ASSERT_TRUE(socket.WaitFor("STATUS=bootstrapped", std::chrono::seconds(5)));
  messages = socket.Messages();
  std::vector<std::string> texts;
  for (const auto& message : messages) {
    texts.push_back(message.text);
    EXPECT_EQ(message.pid, ::getpid()) << message.text;  // what NotifyAccess=main accepts
  }
  EXPECT_THAT(texts, ElementsAre("STATUS=phase storage", "READY=1\nSTATUS=data directories in place", "BARRIER=1",
                                 "STATUS=bootstrapped", "BARRIER=1"));
  EXPECT_EQ(messages[2].fds, 1);  // the barrier's pipe, closed on receipt as systemd does
}

TEST_F(ServiceManagerTest, AManagerThatIsGoneDoesNotFailTheRun) {
  ::setenv("NOTIFY_SOCKET", (dir_.path() / "nobody-listens").c_str(), 1);
  auto manager = MakeSystemdServiceManager();
  manager->NotifyStatus("phase storage");  // logged, not thrown
  manager->NotifyReady("ready");
  SUCCEED();
}

}  // namespace
}  // namespace nodeboot
