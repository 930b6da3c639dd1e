// FailsWith(code, exit_code, message): matches a failed Status or Result<T> whose Error has
// that catalog code, exit code and message (a string, or a matcher such as HasSubstr).
//   EXPECT_THAT(lvm.Run(argv, what), FailsWith("NB-STORAGE-COMMAND-FAILED", 22, "vgcreate (...): exit 5"));
#pragma once

#include <gmock/gmock.h>

#include <string>

#include "agent/base/result.h"

namespace nodeboot::testing {

MATCHER_P3(FailsWith, code, exit_code, message, "") {
  if (static_cast<bool>(arg)) {
    *result_listener << "which succeeded";
    return false;
  }
  const Error& error = arg.error();
  *result_listener << "which failed with " << error.code << " (exit " << error.exit_code << "): " << error.message;
  return error.code == std::string(code) && error.exit_code == exit_code && ::testing::Matches(message)(error.message);
}

}  // namespace nodeboot::testing
