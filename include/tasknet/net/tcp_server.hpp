// The seed's tcp_server(address, handler): listen, accept, and spawn handler(client, address)
// for every connection, as a task.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <system_error>

#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/task.hpp"

namespace tasknet {

/// Serves one connection; tcp_server spawns one per accepted client.
using ConnectionHandler = std::function<Task<void>(Socket client, Address peer)>;

struct TcpServerOptions {
  /// Requesting stop ends the accept loop (connections already spawned go on).
  std::stop_token stop;
  /// Told about each failed accept the loop survives (EMFILE, ENFILE, ENOBUFS, ...); never throws.
  std::function<void(const std::system_error&)> on_accept_error;
  /// After a failed accept the loop sleeps, doubling from `first_backoff` up to `max_backoff`,
  /// instead of spinning on a condition that only time or a closed connection will fix.
  std::chrono::milliseconds first_backoff{10};
  std::chrono::milliseconds max_backoff{1000};
};

/// Accepts connections on `listener` until stopped, spawning `handler(client, peer)` for each as
/// a detached task of the same scheduler. Survives resource exhaustion and aborted connections
/// and keeps serving. Throws only for errors that mean the listener itself is broken.
///
/// The handler lives until the server and every connection task it started have ended (each
/// connection's frame is destroyed), so a lambda coroutine may read its captures at any point of
/// a connection, also after the server stopped. Handler and tasks run on one thread.
Task<void> tcp_server(TcpListener listener, ConnectionHandler handler,
                      TcpServerOptions options = {});

/// The seed's form: binds `address` (throwing as TcpListener::bind does) and serves it.
Task<void> tcp_server(Address address, ConnectionHandler handler, TcpServerOptions options = {});

}  // namespace tasknet
