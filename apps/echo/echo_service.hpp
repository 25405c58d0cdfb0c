// The seed's echo_handler, as the connection handler of tasknet-echo: answer each receive with
// the prefix and the bytes received, until the peer closes.
#pragma once

#include <cstdio>
#include <string>

#include "tasknet/buffer_pool.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/task.hpp"

namespace tasknet::echo {

struct EchoConfig {
  std::string prefix = "GOT:";
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

  EchoConfig config_;
  BufferPool buffers_;
};

}  // namespace tasknet::echo
