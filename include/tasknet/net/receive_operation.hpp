// co_await socket.receive(pool): wait for bytes, then receive them into a buffer from a pool, so
// that a connection holds a buffer only while it has bytes in hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tasknet/buffer_pool.hpp"
#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/file_descriptor.hpp"

namespace tasknet {

/// What a receive into a pooled buffer brought. Kept small: a server's connections each keep
/// one in their frames.
struct Received {
  /// Holds the bytes when some arrived; empty otherwise. Back to its pool when destroyed.
  BufferPool::Buffer buffer;
  /// How many bytes arrived: 0 at end of stream or when the wait ended first.
  std::uint32_t size = 0;
  /// ready: bytes arrived, or the stream ended. timed_out or cancelled: the wait ended first and
  /// nothing was received.
  WaitStatus status = WaitStatus::ready;

  /// The bytes, inside `buffer` after its pool's headroom.
  [[nodiscard]] std::span<char> bytes() noexcept {
    return {buffer.data() + buffer.headroom(), size};
  }
  [[nodiscard]] bool end_of_stream() const noexcept {
    return status == WaitStatus::ready && size == 0;
  }
};

/// Awaitable: waits until bytes arrive, then receives up to a buffer's worth (less the pool's
/// headroom) into a buffer borrowed from `pool`. A timeout or cancellation is a status, as for
/// readable(), since a loop waiting for its next request expects both; a reset or other socket
/// error throws std::system_error.
///
/// Readiness backends wait for readability, then borrow and receive when the task's turn comes
/// in the ready queue (not while the driver goes through the poller's events), so a buffer is
/// held only from the receive to the task's next step, and is given back at once if no bytes
/// came. The io_uring driver has the kernel pick a buffer of the pool when the data arrives (or,
/// when none is free, waits for readiness and borrows at the task's turn too).
class [[nodiscard]] ReceiveOperation : public detail::WaitOperation {
 public:
  ReceiveOperation(FileDescriptor& socket, BufferPool& pool, const WaitOptions& options) noexcept;
  ReceiveOperation(const ReceiveOperation&) = delete;
  ReceiveOperation& operator=(const ReceiveOperation&) = delete;
  ~ReceiveOperation();

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(socket_.attach(detail::scheduler_of(awaiting)), awaiting);
  }

  Received await_resume();

 private:
  static detail::Attempt attempt_receive(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_receive(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_receive(detail::Waiter& waiter,
                                          const detail::Completion& completion) noexcept;
  static void discard_received(detail::Waiter& waiter,
                               const detail::Completion& completion) noexcept;
  static const detail::Operation io;

  /// Gives memory_ back to the pool.
  void give_back() noexcept;

  // Packed, as the awaiter lives in every waiting connection's frame.
  FileDescriptor& socket_;
  BufferPool& pool_;
  char* memory_ = nullptr;   ///< a buffer of pool_ holding the bytes, or being tried
  std::int32_t result_ = 0;  ///< bytes received, or -errno
};

}  // namespace tasknet
