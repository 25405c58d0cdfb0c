// co_await listener.accept(): the next connection, waiting until one arrives.
#pragma once

#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"

namespace tasknet {

/// A connection taken from a listener, and who it is from.
struct Accepted {
  Socket socket;
  Address peer;
};

/// Awaitable: accepts one connection, non-blocking and close-on-exec, with TCP_NODELAY when the
/// listener asks for it. Connections reset or aborted before they were accepted are skipped.
/// Throws std::system_error for other failures (EMFILE and ENFILE among them: the caller decides
/// whether to back off), on timeout and on cancellation.
class [[nodiscard]] AcceptOperation : public detail::WaitOperation {
 public:
  AcceptOperation(FileDescriptor& listener, bool no_delay, const WaitOptions& options) noexcept;
  ~AcceptOperation();

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(listener_.attach(detail::scheduler_of(awaiting)), awaiting);
  }

  Accepted await_resume();

 private:
  static detail::Attempt attempt_accept(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_accept(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_accept(detail::Waiter& waiter,
                                         const detail::Completion& completion) noexcept;
  static void discard_accepted(detail::Waiter& waiter,
                               const detail::Completion& completion) noexcept;
  static const detail::Operation io;

  /// Takes a new connection: false (and it is closed) when it is not TCP over IP.
  bool adopt(int fd, const sockaddr_storage& peer, socklen_t length) noexcept;

  FileDescriptor& listener_;
  bool no_delay_;
  int accepted_fd_ = -1;
  int error_ = 0;
  Address peer_;
  // Completion backends: where the kernel writes the peer's address.
  sockaddr_storage peer_storage_{};
  socklen_t peer_length_ = 0;
};

}  // namespace tasknet
