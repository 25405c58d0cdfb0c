// The vocabulary of waiting: which way a task waits on a descriptor, how a wait ended, the
// deadline and cancellation every wait accepts, and the one rule for how an interrupted wait
// reports it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
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
///
/// How an interrupted wait reports it, everywhere: a wait that only waits (readable, writable,
/// sleep_for) returns a WaitStatus, since it has nothing else to return; an operation that
/// produces something (recv, send, send_all, receive, accept, connect, SignalSet::wait) throws
/// TimedOut when its deadline passed and Cancelled when stop was requested or its descriptor was
/// closed while it waited. Either way it consumed nothing it did not report.
struct WaitOptions {
  /// The wait ends at this point: WaitStatus::timed_out, or TimedOut thrown.
  std::optional<TimePoint> deadline;
  /// request_stop() ends the wait: WaitStatus::cancelled, or Cancelled thrown. Request it on the
  /// scheduler's thread: the cancellation runs inside request_stop().
  StopRef stop;
};

namespace detail {

/// What TimedOut and Cancelled share: a std::system_error with the matching code, so that code
/// comparing error codes keeps working, whose message says what happened ("recv: deadline
/// passed") where the code's own would blame the connection ("Connection timed out").
class Interrupted : public std::system_error {
 public:
  Interrupted(std::errc code, const std::string& operation, const char* what_happened)
      : std::system_error(std::make_error_code(code), operation),
        message_(operation + ": " + what_happened) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // copied without throwing, as an exception's members must be
};

}  // namespace detail

/// Thrown by an operation whose deadline passed (see WaitOptions): std::errc::timed_out. An
/// ETIMEDOUT from the kernel (a peer that stopped answering keepalive) is a plain
/// std::system_error, never a TimedOut.
class TimedOut : public detail::Interrupted {
 public:
  explicit TimedOut(const std::string& operation)
      : Interrupted(std::errc::timed_out, operation, "deadline passed") {}
};

/// Thrown by an operation that was cancelled (see WaitOptions): stop was requested, or its
/// descriptor closed while it waited. std::errc::operation_canceled.
class Cancelled : public detail::Interrupted {
 public:
  explicit Cancelled(const std::string& operation)
      : Interrupted(std::errc::operation_canceled, operation, "cancelled") {}
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
