// co_await socket.recv(buffer): receive what is there, waiting until something is.
#pragma once

#include <cstddef>
#include <span>

#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/file_descriptor.hpp"

namespace tasknet {

/// Awaitable: receives up to buffer.size() bytes. Returns how many arrived, 0 when the peer has
/// closed its side (end of stream is a value, not an error). While nothing has arrived the task
/// waits in the readable waiting area; the receive is retried when the poller wakes it.
/// Throws std::system_error for a reset or other socket error, TimedOut at its deadline and
/// Cancelled when stopped.
class [[nodiscard]] RecvOperation : public detail::WaitOperation {
 public:
  RecvOperation(FileDescriptor& socket, std::span<char> buffer,
                const WaitOptions& options) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(socket_.attach(detail::scheduler_of(awaiting)), awaiting);
  }

  std::size_t await_resume() const;

 private:
  static detail::Attempt attempt_recv(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_recv(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_recv(detail::Waiter& waiter,
                                       const detail::Completion& completion) noexcept;
  static const detail::Operation io;

  FileDescriptor& socket_;
  std::span<char> buffer_;
  std::size_t received_ = 0;
  int error_ = 0;
};

}  // namespace tasknet
