// echo_handler: the seed's loop, one receive answered by one send, with no buffer held while the
// connection is idle.
#include "echo_service.hpp"

#include <algorithm>
#include <climits>
#include <system_error>

namespace tasknet::echo {

namespace {

constexpr std::size_t preferred_read_size = 64 * 1024;
constexpr std::size_t max_runs_per_reply = IOV_MAX / 2;  // a prefix and a run each

std::size_t read_size_for(std::size_t recv_size) {
  return std::min(std::max(recv_size, preferred_read_size), recv_size * max_runs_per_reply);
}

std::size_t pieces_for(const EchoConfig& config, std::size_t read_size) {
  if (config.prefix.empty()) return 1;  // a pure echo needs no cutting
  return 2 * ((read_size + config.recv_size - 1) / config.recv_size);
}

}  // namespace

EchoService::EchoService(EchoConfig config)
    : config_(std::move(config)),
      read_size_(read_size_for(config_.recv_size)),
      iov_bytes_(pieces_for(config_, read_size_) * sizeof(iovec)),
      buffers_(iov_bytes_ + read_size_, 64) {}

std::span<char> EchoService::receive_area(BufferPool::Buffer& buffer) const {
  return {buffer.data() + iov_bytes_, read_size_};
}

std::span<iovec> EchoService::reply_pieces(BufferPool::Buffer& buffer, std::size_t received) const {
  const std::span<iovec> pieces{reinterpret_cast<iovec*>(buffer.data()),
                                iov_bytes_ / sizeof(iovec)};
  char* const data = receive_area(buffer).data();
  if (config_.prefix.empty()) {
    pieces[0] = {data, received};
    return pieces.first(1);
  }
  std::size_t count = 0;
  for (std::size_t at = 0; at < received; at += config_.recv_size) {
    pieces[count++] = {const_cast<char*>(config_.prefix.data()), config_.prefix.size()};
    pieces[count++] = {data + at, std::min(config_.recv_size, received - at)};
  }
  return pieces.first(count);
}

Task<void> EchoService::echo_handler(Socket client, Address address) {
  log_opened(address);
  try {
    for (;;) {
      co_await client.readable();  // the seed's `yield 'recv', client`
      // Only a connection with data in hand holds a buffer: idle ones cost their frame alone,
      // which is why this loop keeps no more locals than it must (each is in the frame).
      BufferPool::Buffer buffer = buffers_.borrow();
      const auto received = client.try_recv(receive_area(buffer));  // `client.recv(1000)`
      if (!received) continue;    // woken, but the data was not there after all
      if (*received == 0) break;  // the peer closed: `if not data: break`
      // The seed's `yield 'send', client` and `client.send(b'GOT:' + data)`, minus its bug:
      // send() may take only part, so send_all waits for room until every byte has gone.
      co_await client.send_all(reply_pieces(buffer, *received));
    }
    log_closed(nullptr);
  } catch (const std::system_error& error) {
    log_closed(error.what());
  }
}

void EchoService::log_opened(const Address& address) const {
  if (config_.log == nullptr) return;
  std::fprintf(config_.log, "Connection from %s\n", address.to_string().c_str());
  std::fflush(config_.log);
}

void EchoService::log_closed(const char* reason) const {
  if (config_.log == nullptr) return;
  if (reason == nullptr) {
    std::fputs("Connection closed\n", config_.log);
  } else {
    std::fprintf(config_.log, "Connection closed: %s\n", reason);
  }
  std::fflush(config_.log);
}

}  // namespace tasknet::echo
