// A listening TCP socket: bind and listen (or adopt one that another process opened, such as
// systemd), and accept connections as an awaitable.
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

  /// Takes over `fd`, a socket that is already bound and listening (one inherited from systemd's
  /// socket activation, or from a parent process): makes it non-blocking and close-on-exec, and
  /// applies `options.no_delay` and `options.keepalive`; the backlog and the reuse options were
  /// the opener's to choose and are left as they are. Throws std::invalid_argument when `fd` is
  /// not a listening TCP socket ("descriptor 3 is not a listening TCP socket: ..."), and
  /// std::system_error when it is not a socket at all or an option is refused.
  static TcpListener adopt(FileDescriptor fd, const ListenOptions& options = {});

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
