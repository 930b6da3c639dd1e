// FakeServiceManager: records what nodeboot tells the service manager, in order, as
// "READY <status>" and "STATUS <status>".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/base/service_manager.h"

namespace nodeboot::testing {

class FakeServiceManager : public ServiceManager {
 public:
  void NotifyReady(std::string_view status) override { said.push_back("READY " + std::string(status)); }
  void NotifyStatus(std::string_view status) override { said.push_back("STATUS " + std::string(status)); }
  std::vector<std::string> said;
};

}  // namespace nodeboot::testing
