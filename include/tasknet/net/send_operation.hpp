// co_await socket.send(data): one send, possibly partial, waiting while the socket is full.
#pragma once

#include <cstddef>
#include <string_view>

#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/file_descriptor.hpp"

namespace tasknet {

/// Awaitable: sends as much of `data` as the socket takes now, waiting in the writable waiting
/// area while it takes nothing. Returns the bytes sent, at least 1 unless `data` is empty.
/// Never raises SIGPIPE. Throws std::system_error for a reset or closed peer (EPIPE), on timeout
/// and on cancellation.
class [[nodiscard]] SendOperation : public detail::WaitOperation {
 public:
  SendOperation(FileDescriptor& socket, std::string_view data, const WaitOptions& options) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(socket_.attach(detail::scheduler_of(awaiting)), awaiting);
  }

  std::size_t await_resume() const;

 private:
  static detail::Attempt attempt_send(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_send(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_send(detail::Waiter& waiter,
                                       const detail::Completion& completion) noexcept;
  static const detail::Operation io;

  FileDescriptor& socket_;
  std::string_view data_;
  std::size_t sent_ = 0;
  int error_ = 0;
};

}  // namespace tasknet
