// What every fault case shares: a tasknet-echo under test for the backend the case runs on, the
// descriptor count it started with, the check that it came through the attack whole, and the
// measurements each case prints for the record.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

#include "backends.hpp"
#include "echo_under_test.hpp"

namespace tasknet::fault {

class FaultCase : public ::testing::TestWithParam<Backend> {
 protected:
  /// Starts the server on this case's backend and notes its descriptor count.
  EchoUnderTest& start(EchoLaunch launch = {}) {
    launch.backend = GetParam();
    server_.emplace(launch);
    baseline_descriptors_ = server_->open_descriptors();
    return *server_;
  }

  /// After the attack: every descriptor the attack made the server open is closed again, a fresh
  /// client is answered, and SIGTERM still ends the server with exit code 0.
  void expect_recovered() {
    const std::size_t open = server_->settle_descriptors(baseline_descriptors_);
    EXPECT_EQ(open, baseline_descriptors_) << "descriptors left open after the attack";
    EXPECT_EQ(check_fresh_client(server_->port()), "");
    measured("descriptors after the attack " + std::to_string(open) + " (baseline " +
             std::to_string(baseline_descriptors_) + ")");
    EXPECT_EQ(server_->terminate(), 0) << server_->process().stderr_text();
  }

  /// One line for the record, in the test's output: "[ measured ] Suite.Case/backend: text".
  static void measured(const std::string& text) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::printf("[ measured ] %s.%s: %s\n", test->test_suite_name(), test->name(), text.c_str());
    std::fflush(stdout);
  }

  [[nodiscard]] std::size_t baseline_descriptors() const noexcept { return baseline_descriptors_; }

  std::optional<EchoUnderTest> server_;

 private:
  std::size_t baseline_descriptors_ = 0;
};

/// "12.3" with one decimal.
inline std::string one_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace tasknet::fault
