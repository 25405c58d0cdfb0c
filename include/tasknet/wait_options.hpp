// The vocabulary of waiting: which way a task waits on a descriptor, how a wait ended, and the
// deadline and cancellation every wait accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string_view>

#include "tasknet/clock.hpp"

namespace tasknet {

/// Which way a task waits on a descriptor: the seed's 'recv' and 'send' reasons.
enum class Direction : std::uint8_t { readable, writable };

/// How a wait ended.
enum class WaitStatus : std::uint8_t {
  ready,      ///< the descriptor became ready (or, for a sleep, the time came)
  timed_out,  ///< the deadline passed first
  cancelled,  ///< stop was requested, or the descriptor was closed while the task waited
};

/// Optional limits on a wait. Every awaitable of tasknet that can suspend accepts them.
struct WaitOptions {
  /// The wait ends with WaitStatus::timed_out at this point (I/O operations throw
  /// std::system_error with std::errc::timed_out instead).
  std::optional<TimePoint> deadline;
  /// request_stop() ends the wait with WaitStatus::cancelled (I/O operations throw
  /// std::system_error with std::errc::operation_canceled). Request it on the scheduler's thread:
  /// the cancellation runs inside request_stop().
  std::stop_token stop;
};

[[nodiscard]] constexpr std::string_view to_string(Direction direction) noexcept {
  return direction == Direction::readable ? "readable" : "writable";
}

[[nodiscard]] constexpr std::string_view to_string(WaitStatus status) noexcept {
  switch (status) {
    case WaitStatus::ready:
      return "ready";
    case WaitStatus::timed_out:
      return "timed out";
    case WaitStatus::cancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace tasknet
