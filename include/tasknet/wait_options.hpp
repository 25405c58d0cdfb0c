// The vocabulary of waiting: which way a task waits on a descriptor, how a wait ended, and the
// deadline and cancellation every wait accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string_view>
#include <type_traits>

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

/// A reference to a named std::stop_token, as WaitOptions carries it. The wait copies the token
/// when it is created, so the token only has to outlive the co_await expression.
///
/// Why not a std::stop_token member: WaitOptions is usually a braced temporary inside a co_await
/// expression (`co_await socket.recv(buffer, {.stop = token})`), and GCC 12 destroys such
/// temporaries more than once when they are not trivially destructible, releasing the token's
/// shared state while its source still owns it (tests/unit/wait_options_test.cpp reproduces it;
/// clang is not affected). Kept trivially destructible, WaitOptions is immune. Binding to a
/// temporary token is refused at compile time, since that temporary would be exposed the same way.
class StopRef {
 public:
  constexpr StopRef() noexcept = default;
  constexpr StopRef(const std::stop_token& token) noexcept : token_(&token) {}  // NOLINT: implicit
  StopRef(std::stop_token&&) = delete;

  /// A copy of the token, or a token that is never stopped.
  [[nodiscard]] std::stop_token token() const noexcept {
    return token_ ? *token_ : std::stop_token{};
  }

 private:
  const std::stop_token* token_ = nullptr;
};

/// Optional limits on a wait. Every awaitable of tasknet that can suspend accepts them.
/// Trivially destructible on purpose: see StopRef.
struct WaitOptions {
  /// The wait ends with WaitStatus::timed_out at this point (I/O operations throw
  /// std::system_error with std::errc::timed_out instead).
  std::optional<TimePoint> deadline;
  /// request_stop() ends the wait with WaitStatus::cancelled (I/O operations throw
  /// std::system_error with std::errc::operation_canceled). Request it on the scheduler's thread:
  /// the cancellation runs inside request_stop().
  StopRef stop;
};

static_assert(std::is_trivially_destructible_v<WaitOptions>,
              "WaitOptions must stay trivially destructible: see StopRef");

/// No deadline, no cancellation: the default of every wait. A named object rather than `= {}`,
/// so a defaulted argument materializes no temporary in every awaiting coroutine's frame.
inline constexpr WaitOptions no_limits{};

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
