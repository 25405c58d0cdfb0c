// One non-blocking recv or send, with EINTR retried, and a completion's result in the same
// terms: shared by the try_ functions of Socket and by the awaitable operations. Private to the
// library.
#pragma once

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <climits>
#include <span>

#include <cerrno>
#include <cstddef>

namespace tasknet::net_io {

struct Result {
  std::size_t bytes = 0;
  int error = 0;  ///< 0, EAGAIN (would block), or the errno that failed the call

  [[nodiscard]] bool would_block() const noexcept { return error == EAGAIN; }
};

/// A completion-based backend's result (bytes, or -errno) as a Result: -EAGAIN is would_block.
inline Result from_completion(int result) noexcept {
  if (result >= 0) return {static_cast<std::size_t>(result), 0};
  return {0, -result == EWOULDBLOCK ? EAGAIN : -result};
}

/// Stores a completion-based driver's result (bytes, or -errno) in `bytes` and `error`; returns
/// false, storing nothing, when it says the operation would block.
inline bool take_result(int result, std::size_t& bytes, int& error) noexcept {
  const Result taken = from_completion(result);
  if (taken.would_block()) return false;
  bytes = taken.bytes;
  error = taken.error;
  return true;
}

inline Result recv_once(int fd, char* data, std::size_t size) noexcept {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno == EINTR) continue;
    return {0, errno == EWOULDBLOCK ? EAGAIN : errno};
  }
}

inline Result send_once(int fd, const char* data, std::size_t size) noexcept {
  for (;;) {
    // MSG_NOSIGNAL: a peer that has gone away is an EPIPE error, never a SIGPIPE.
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno == EINTR) continue;
    return {0, errno == EWOULDBLOCK ? EAGAIN : errno};
  }
}

/// Bytes sent into the socket that its peer has not acknowledged yet (SIOCOUTQ); -1 where the
/// descriptor cannot tell (not a socket).
inline int unacknowledged_bytes(int fd) noexcept {
  int bytes = 0;
  return ::ioctl(fd, SIOCOUTQ, &bytes) == 0 ? bytes : -1;
}

/// One gather send of up to IOV_MAX pieces.
inline Result sendmsg_once(int fd, std::span<const iovec> pieces) noexcept {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(pieces.data());
  message.msg_iovlen = pieces.size() < IOV_MAX ? pieces.size() : IOV_MAX;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno == EINTR) continue;
    return {0, errno == EWOULDBLOCK ? EAGAIN : errno};
  }
}

}  // namespace tasknet::net_io
