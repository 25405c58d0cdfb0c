// echo_handler: the seed's loop, one receive answered by one send, with no buffer held while the
// connection is idle.
#include "echo_service.hpp"

#include <cstring>
#include <system_error>

namespace tasknet::echo {

EchoService::EchoService(EchoConfig config)
    : config_(std::move(config)), buffers_(config_.prefix.size() + config_.recv_size) {}

Task<void> EchoService::echo_handler(Socket client, Address address) {
  log("Connection from %s\n", address.to_string());
  const std::size_t prefix_size = config_.prefix.size();
  try {
    for (;;) {
      co_await client.readable();  // the seed's `yield 'recv', client`
      // Only a connection with data in hand holds a buffer: idle ones cost their frame alone.
      BufferPool::Buffer buffer = buffers_.borrow();
      const auto received = client.try_recv(buffer.span().subspan(prefix_size, config_.recv_size));
      if (!received) continue;    // woken, but the data was not there after all
      if (*received == 0) break;  // the peer closed: `if not data: break`
      std::memcpy(buffer.data(), config_.prefix.data(), prefix_size);
      // The seed's `yield 'send', client` and `client.send(b'GOT:' + data)`, minus its bug:
      // send() may take only part, so send_all waits for room until every byte has gone.
      co_await client.send_all({buffer.data(), prefix_size + *received});
    }
    log("Connection closed\n", {});
  } catch (const std::system_error& error) {
    log("Connection closed: %s\n", error.what());
  }
}

void EchoService::log(const char* format, const std::string& detail) const {
  if (config_.log == nullptr) return;
  std::fprintf(config_.log, format, detail.c_str());
  std::fflush(config_.log);
}

}  // namespace tasknet::echo
