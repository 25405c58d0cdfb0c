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
  void log(const char* format, const std::string& detail) const;
  /// Describes the reply to `received` bytes at `data`: prefix and run, prefix and run, ...
  std::span<iovec> reply_pieces(std::span<iovec> pieces, char* data, std::size_t received) const;

  EchoConfig config_;
  std::size_t read_size_;  // bytes one receive may take
  std::size_t iov_bytes_;  // room for the reply's pieces, at the start of each pooled buffer
  BufferPool buffers_;
};

}  // namespace tasknet::echo
