// A listening TCP socket: bind, listen, and accept connections as an awaitable.
#pragma once

#include <sys/socket.h>

#include <optional>

#include "tasknet/net/accept_operation.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/keepalive.hpp"
#include "tasknet/net/socket.hpp"

namespace tasknet {

struct ListenOptions {
  int backlog = SOMAXCONN;
  bool reuse_address = true;  ///< SO_REUSEADDR: restart without waiting out TIME_WAIT
  bool reuse_port = false;    ///< SO_REUSEPORT: several listeners share the port
  bool no_delay = true;       ///< TCP_NODELAY on every accepted socket
  /// Keepalive (and the user timeout tied to it) for every accepted socket: set once on the
  /// listener, which they inherit. None: the system's defaults (no keepalive).
  std::optional<KeepAlive> keepalive;
};

class TcpListener {
 public:
  /// Binds and listens. Throws std::system_error naming the address and the reason
  /// ("bind 0.0.0.0:25000: Address already in use").
  static TcpListener bind(const Address& address, const ListenOptions& options = {});

  /// See AcceptOperation.
  [[nodiscard]] AcceptOperation accept(const WaitOptions& options = no_limits) noexcept {
    return AcceptOperation{socket_.descriptor(), no_delay_, options};
  }

  /// The address actually bound: with port 0, the port the kernel chose.
  [[nodiscard]] Address local_address() const { return socket_.local_address(); }
  [[nodiscard]] int fd() const noexcept { return socket_.fd(); }

 private:
  TcpListener(Socket socket, bool no_delay) noexcept
      : socket_(std::move(socket)), no_delay_(no_delay) {}

  Socket socket_;
  bool no_delay_;
};

}  // namespace tasknet
