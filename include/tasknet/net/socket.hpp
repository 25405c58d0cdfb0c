// A connected TCP socket: move-only, closed on destruction, with awaitable recv, receive (into
// pooled buffers), send and send_all and the seed's waits (readable, writable).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "tasknet/file_descriptor.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/keepalive.hpp"
#include "tasknet/net/receive_operation.hpp"
#include "tasknet/net/recv_operation.hpp"
#include "tasknet/net/send_all_operation.hpp"
#include "tasknet/net/send_operation.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {

class Socket {
 public:
  Socket() noexcept = default;
  /// Adopts a non-blocking stream socket.
  explicit Socket(FileDescriptor fd) noexcept : fd_(std::move(fd)) {}

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] bool is_open() const noexcept { return fd_.is_open(); }
  explicit operator bool() const noexcept { return is_open(); }
  [[nodiscard]] FileDescriptor& descriptor() noexcept { return fd_; }

  /// See RecvOperation: bytes received, 0 at end of stream.
  [[nodiscard]] RecvOperation recv(std::span<char> buffer,
                                   const WaitOptions& options = no_limits) noexcept {
    return RecvOperation{fd_, buffer, options};
  }
  /// See ReceiveOperation: waits for bytes, then receives them into a buffer from `pool`.
  [[nodiscard]] ReceiveOperation receive(BufferPool& pool,
                                         const WaitOptions& options = no_limits) noexcept {
    return ReceiveOperation{fd_, pool, options};
  }
  /// receive() that times out after `timeout` (zero: never) and is cancelled by `stop`, without
  /// a WaitOptions temporary in the awaiting frame (see readable_for).
  [[nodiscard]] ReceiveOperation receive_for(BufferPool& pool, const Clock::duration& timeout,
                                             const std::stop_token& stop) noexcept {
    return timeout > Clock::duration::zero()
               ? ReceiveOperation{fd_, pool, {.deadline = after(timeout), .stop = stop}}
               : ReceiveOperation{fd_, pool, {.stop = stop}};
  }
  /// See SendOperation: bytes sent, possibly fewer than data.size().
  [[nodiscard]] SendOperation send(std::string_view data,
                                   const WaitOptions& options = no_limits) noexcept {
    return SendOperation{fd_, data, options};
  }
  /// See SendAllOperation: everything, waiting for room as often as needed.
  [[nodiscard]] SendAllOperation send_all(std::string_view data,
                                          const WaitOptions& options = no_limits) noexcept {
    return SendAllOperation{fd_, data, options};
  }
  /// See SendAllOperation: every piece, in order, in as few system calls as the socket allows.
  [[nodiscard]] SendAllOperation send_all(std::span<iovec> pieces,
                                          const WaitOptions& options = no_limits) noexcept {
    return SendAllOperation{fd_, pieces, options};
  }
  /// send_all() that times out once the kernel has taken no byte for `timeout` (zero: never): the
  /// timeout restarts whenever bytes go, so it bounds a stalled peer, not a slow one. Throws
  /// TimedOut when it passes; bytes_sent() tells how much went.
  [[nodiscard]] SendAllOperation send_all_for(std::span<iovec> pieces,
                                              const Clock::duration& timeout) noexcept {
    return SendAllOperation{fd_, pieces, timeout, StopRef{}};
  }
  /// The same, also cancelled (Cancelled thrown) by `stop`.
  [[nodiscard]] SendAllOperation send_all_for(std::span<iovec> pieces,
                                              const Clock::duration& timeout,
                                              const std::stop_token& stop) noexcept {
    return SendAllOperation{fd_, pieces, timeout, stop};
  }
  [[nodiscard]] SendAllOperation send_all_for(std::string_view data,
                                              const Clock::duration& timeout) noexcept {
    return SendAllOperation{fd_, data, timeout, StopRef{}};
  }
  [[nodiscard]] SendAllOperation send_all_for(std::string_view data, const Clock::duration& timeout,
                                              const std::stop_token& stop) noexcept {
    return SendAllOperation{fd_, data, timeout, stop};
  }

  /// The seed's `yield 'recv', sock`: waits until a receive would not block.
  [[nodiscard]] ReadinessWait readable(const WaitOptions& options = no_limits) noexcept {
    return fd_.readable(options);
  }
  /// readable() that times out after `timeout` (zero: never), without a WaitOptions temporary in
  /// the awaiting coroutine's frame: for loops that every connection runs, such as idle timeouts.
  /// By reference, so that an lvalue argument leaves nothing in the frame either.
  [[nodiscard]] ReadinessWait readable_for(const Clock::duration& timeout) noexcept {
    return timeout > Clock::duration::zero() ? fd_.readable({.deadline = after(timeout)})
                                             : fd_.readable();
  }
  /// The same, also ended (WaitStatus::cancelled) by `stop`.
  [[nodiscard]] ReadinessWait readable_for(const Clock::duration& timeout,
                                           const std::stop_token& stop) noexcept {
    return timeout > Clock::duration::zero()
               ? fd_.readable({.deadline = after(timeout), .stop = stop})
               : fd_.readable({.stop = stop});
  }
  /// The seed's `yield 'send', sock`: waits until a send would not block.
  [[nodiscard]] ReadinessWait writable(const WaitOptions& options = no_limits) noexcept {
    return fd_.writable(options);
  }

  /// One receive without waiting: bytes received (0 at end of stream), or nullopt if nothing is
  /// there yet. Throws std::system_error for a reset or other error.
  std::optional<std::size_t> try_recv(std::span<char> buffer);
  /// One send without waiting: bytes sent, or nullopt if the socket is full. Throws
  /// std::system_error for a reset or closed peer.
  std::optional<std::size_t> try_send(std::string_view data);

  /// Sends FIN: the peer reads end of stream, and this side can still receive.
  void shutdown_write();
  /// Closes now. A task still waiting on the socket resumes as cancelled.
  void close() noexcept { fd_.close(); }

  /// TCP_NODELAY: send small writes at once instead of waiting to coalesce them (Nagle).
  void set_no_delay(bool enabled);
  /// See KeepAlive: finds a peer that vanished, for a connection this side made.
  void set_keepalive(const KeepAlive& keepalive) { tasknet::set_keepalive(fd(), keepalive); }

  [[nodiscard]] Address local_address() const;
  [[nodiscard]] Address peer_address() const;

 private:
  FileDescriptor fd_;
};

}  // namespace tasknet
