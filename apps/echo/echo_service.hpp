// The seed's echo_handler, as the connection handler of tasknet-echo: answer each receive with
// the prefix and the bytes received, until the peer closes.
#pragma once

#include <sys/uio.h>

#include <cstdio>
#include <span>
#include <string>

#include "tasknet/buffer_pool.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/task.hpp"

namespace tasknet::echo {

struct EchoConfig {
  std::string prefix = "GOT:";
  /// The seed's recv(1000): the most bytes answered after one prefix. The service reads more at
  /// once when more is there and answers it in runs of this size, each after its own prefix, so
  /// the replies are byte for byte what the seed would send had its receives returned those runs.
  std::size_t recv_size = 1000;
  /// Where "Connection from ..." and "Connection closed" go; null for none.
  std::FILE* log = nullptr;
};

class EchoService {
 public:
  explicit EchoService(EchoConfig config);

  /// Serves one client until it closes. A reset or other socket error ends only this
  /// connection: it is logged, never thrown.
  Task<void> echo_handler(Socket client, Address address);

 private:
  // Out of the coroutine, so that formatting leaves no temporaries in every connection's frame.
  void log_opened(const Address& address) const;
  void log_closed(const char* reason) const;
  /// Where a receive goes in a pooled buffer: after the room for the reply's piece list.
  [[nodiscard]] std::span<char> receive_area(BufferPool::Buffer& buffer) const;
  /// Describes the reply to the `received` bytes in `buffer`: prefix and run, prefix and run...
  /// The piece list goes at the start of the buffer.
  std::span<iovec> reply_pieces(BufferPool::Buffer& buffer, std::size_t received) const;

  EchoConfig config_;
  std::size_t read_size_;  // bytes one receive may take
  std::size_t iov_bytes_;  // room for the reply's pieces, at the start of each pooled buffer
  BufferPool buffers_;
};

}  // namespace tasknet::echo
