// co_await socket.send_all(data): everything, waiting for room as often as needed. This is the
// backpressure that keeps a slow reader from growing the sender's memory.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/file_descriptor.hpp"

namespace tasknet {

/// Awaitable: sends all of `data`, or all of several pieces in order (a gather write: one system
/// call for many pieces). Whenever the socket is full the task waits in the writable waiting
/// area, and the scheduler sends more as room appears; the task resumes once everything is sent.
/// Allocates nothing. Throws std::system_error as SendOperation does; on an error, timeout or
/// cancellation, bytes_sent() tells how much had gone.
class [[nodiscard]] SendAllOperation : public detail::WaitOperation {
 public:
  SendAllOperation(FileDescriptor& socket, std::string_view data,
                   const WaitOptions& options) noexcept;
  /// Sends the pieces in order. They are consumed: the array is advanced past what was sent, so
  /// it must stay alive, and unshared, until the operation ends.
  SendAllOperation(FileDescriptor& socket, std::span<iovec> pieces,
                   const WaitOptions& options) noexcept;
  /// With a timeout on progress rather than on the whole (as nginx's send_timeout): it times out
  /// once neither has the kernel taken a byte of `data` nor has the peer acknowledged a byte the
  /// kernel holds for it for `progress_timeout`, so a slow reader that keeps draining is waited
  /// for and a peer that stopped reading is not. Zero: no timeout. `stop` cancels it as
  /// WaitOptions::stop does.
  ///
  /// Why the peer's acknowledgements count: the kernel wakes a blocked sender only once a good
  /// part of its buffer is free (a third, on Linux), which a reader of 1 KiB/s takes minutes to
  /// free. They are looked at every quarter of the timeout while the operation waits, so it ends
  /// at most a quarter late.
  SendAllOperation(FileDescriptor& socket, std::string_view data,
                   const Clock::duration& progress_timeout, StopRef stop) noexcept;
  SendAllOperation(FileDescriptor& socket, std::span<iovec> pieces,
                   const Clock::duration& progress_timeout, StopRef stop) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(socket_.attach(detail::scheduler_of(awaiting)), awaiting);
  }

  void await_resume() const;

  [[nodiscard]] std::size_t bytes_sent() const noexcept { return sent_; }

 private:
  static detail::Attempt attempt_send_rest(detail::Waiter& waiter) noexcept;
  static detail::IoRequest describe_send_rest(detail::Waiter& waiter) noexcept;
  static detail::Attempt complete_send_rest(detail::Waiter& waiter,
                                            const detail::Completion& completion) noexcept;
  static bool extend_deadline(detail::Waiter& waiter, TimePoint now) noexcept;
  static const detail::Operation io;

  void start_progress_timeout(const Clock::duration& timeout) noexcept;
  /// Where the operation waits for room: notes how much the kernel holds for the peer, so that
  /// extend_deadline() can tell whether the peer has been taking it since.
  detail::Attempt waiting_for_room() noexcept;
  /// Steps past `bytes` that went: whole pieces, then into the first one not finished.
  void consume(std::size_t bytes) noexcept;
  /// Steps past empty pieces at the front.
  void skip_empty_pieces() noexcept;

  FileDescriptor& socket_;
  iovec single_;             // the one piece of a plain send_all(data)
  std::span<iovec> pieces_;  // what is left to send (empty pieces at the front skipped as it goes)
  std::size_t sent_ = 0;
  Clock::duration progress_timeout_{};  // zero: the deadline, if any, is fixed
  TimePoint progressed_at_{};           // when a byte last went (or was seen acknowledged)
  int error_ = 0;
  int unacknowledged_ = -1;  // what the kernel held for the peer when last looked at
};

}  // namespace tasknet
