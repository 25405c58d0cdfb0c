// The seed's tcp_server: an accept loop that spawns a handler per client and keeps serving
// through exhausted descriptors and aborted connections.
#include "tasknet/net/tcp_server.hpp"

#include <algorithm>
#include <optional>

#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

/// Errors that say the listener itself is unusable; anything else passes with time.
bool listener_is_broken(const std::system_error& error) {
  const int code = error.code().value();
  return error.code().category() == std::system_category() &&
         (code == EBADF || code == ENOTSOCK || code == EINVAL || code == EOPNOTSUPP ||
          code == EFAULT);
}

}  // namespace

Task<void> tcp_server(TcpListener listener, ConnectionHandler handler, TcpServerOptions options) {
  Scheduler& scheduler = co_await this_scheduler();
  std::chrono::milliseconds backoff = options.first_backoff;
  while (!options.stop.stop_requested()) {
    std::optional<Accepted> accepted;
    try {
      accepted.emplace(
          co_await listener.accept({.stop = options.stop}));  // the seed's yield 'recv', sock
    } catch (const std::system_error& error) {
      if (options.stop.stop_requested()) co_return;
      if (listener_is_broken(error)) throw;
      if (options.on_accept_error) options.on_accept_error(error);
    }
    if (!accepted) {
      // No co_await inside a catch block: the back-off happens here.
      co_await sleep_for(backoff, options.stop);
      backoff = std::min(backoff * 2, options.max_backoff);
      continue;
    }
    backoff = options.first_backoff;
    scheduler.spawn(handler(std::move(accepted->socket), accepted->peer));
  }
}

Task<void> tcp_server(Address address, ConnectionHandler handler, TcpServerOptions options) {
  TcpListener listener = TcpListener::bind(address);  // named: see apps/echo/main.cpp's serve()
  co_await tcp_server(std::move(listener), std::move(handler), std::move(options));
}

}  // namespace tasknet
