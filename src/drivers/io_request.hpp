// What a completion driver submits for an operation and what it reports back: the half of an
// operation's description (detail::Operation) that only completion drivers read. Private to the
// library: the operations in net/ and src/drivers/uring/ include it.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace tasknet {
class BufferPool;
}

namespace tasknet::detail {

/// An operation as a completion driver submits it: which system call, on the Waiter's
/// descriptor, with which arguments. Everything pointed to stays valid until the completion.
struct IoRequest {
  enum class Call : std::uint8_t {
    recv,
    /// recv into a buffer of `pool`; the driver picks how (io_uring: from a ring of provided
    /// buffers the pool feeds, or a poll and then the operation's attempt at its turn)
    receive_pooled,
    send,
    sendmsg,
    accept,
    connect,
  };
  Call call = Call::recv;
  /// recv/send: the bytes; sendmsg: the iovec array; accept/connect: the socket address.
  void* data = nullptr;
  /// recv/send/receive_pooled: bytes; sendmsg: iovecs; connect: the address's length.
  std::size_t length = 0;
  /// accept: in, the room at `data`; out, the peer address's length.
  socklen_t* address_length = nullptr;
  /// receive_pooled: the pool to receive into.
  BufferPool* pool = nullptr;
};

/// One operation a completion driver has finished.
struct Completion {
  /// What the system call returned, or -errno. For a plain readiness wait, 0 once ready.
  int result = 0;
  /// receive_pooled: the buffer the kernel filled (memory of the pool's size, now the
  /// operation's), or null if it took none.
  char* buffer = nullptr;
  /// A plain readiness wait ended by hang-up or error: it will never block this way again.
  bool closed = false;
};

}  // namespace tasknet::detail
