// co_await connect(address): a non-blocking TCP connect that reports refusal as an error.
#pragma once

#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"

namespace tasknet {

/// Awaitable: opens a socket and connects it to `address`, waiting in the writable waiting area
/// while the handshake runs. Returns the connected Socket. Throws std::system_error naming the
/// address when the connection fails (ECONNREFUSED, ...), on timeout and on cancellation.
class [[nodiscard]] ConnectOperation : public detail::WaitOperation {
 public:
  ConnectOperation(const Address& address, const WaitOptions& options) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    Scheduler& scheduler = detail::scheduler_of(awaiting);
    if (!open(scheduler)) return false;  // no socket: await_resume throws
    return start(scheduler, awaiting);
  }

  Socket await_resume();

 private:
  /// Creates the socket and binds it to `scheduler`. Returns false (with error_ set) if it could
  /// not.
  bool open(Scheduler& scheduler) noexcept;
  /// Starts the handshake (connect(2)) and, once the socket is reported writable, reads how it
  /// ended.
  static detail::Attempt attempt_connect(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_connect(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_connect(detail::Waiter& waiter,
                                          const detail::Completion& completion) noexcept;
  static const detail::Operation io;

  Address address_;
  Socket socket_;
  int error_ = 0;
  bool handshaking_ = false;  // connect(2) said EINPROGRESS
};

/// Connects to `address`. See ConnectOperation.
[[nodiscard]] inline ConnectOperation connect(const Address& address,
                                              const WaitOptions& options = no_limits) noexcept {
  return ConnectOperation{address, options};
}

}  // namespace tasknet
