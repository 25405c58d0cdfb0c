// Parameterising suites over every poller backend: TEST_P(..., ...) then
// INSTANTIATE_TEST_SUITE_P(AllBackends, Suite, every_backend(), backend_name).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tasknet/backend.hpp"

namespace tasknet::testing {

inline auto every_backend() {
  return ::testing::ValuesIn(all_backends().begin(), all_backends().end());
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return std::string(to_string(info.param));
}

}  // namespace tasknet::testing
