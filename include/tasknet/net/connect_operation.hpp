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
    if (begin(scheduler)) return false;  // connected, or failed, at once
    return start(scheduler, awaiting);
  }

  Socket await_resume();

 private:
  /// Creates the socket, binds it to `scheduler` and starts the handshake (a completion backend
  /// starts it when submitted). Returns true when it already finished.
  bool begin(Scheduler& scheduler) noexcept;
  static detail::Attempt attempt_finish(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_connect(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_connect(detail::Waiter& waiter,
                                          const Completion& completion) noexcept;
  static const detail::Operation io;

  Address address_;
  Socket socket_;
  int error_ = 0;
};

/// Connects to `address`. See ConnectOperation.
[[nodiscard]] inline ConnectOperation connect(const Address& address,
                                              const WaitOptions& options = no_limits) noexcept {
  return ConnectOperation{address, options};
}

}  // namespace tasknet
