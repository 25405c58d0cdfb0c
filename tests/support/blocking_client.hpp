// A plain blocking TCP client for tests: it shares no code with tasknet, so it checks the server
// from the outside. Every call is bounded by a timeout and throws when it runs out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tasknet::testing {

class BlockingClient {
 public:
  /// Connects to 127.0.0.1:port (or [::1]:port). Receives and sends time out after `timeout_s`.
  explicit BlockingClient(std::uint16_t port, bool ipv6 = false, int timeout_s = 20);
  BlockingClient(BlockingClient&& other) noexcept;
  BlockingClient& operator=(BlockingClient&& other) noexcept;
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;
  ~BlockingClient();

  void send_all(std::string_view data);
  /// Exactly `size` bytes; throws on timeout or end of stream first.
  std::string recv_exactly(std::size_t size);
  /// Whatever one recv returns ("" at end of stream).
  std::string recv_some(std::size_t max = 65536);
  /// Everything until end of stream.
  std::string recv_until_eof();
  void shutdown_write();
  /// Closes with SO_LINGER 0, so the server sees a reset instead of a clean close.
  void reset();
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace tasknet::testing
