// The seed's tcp_server: an accept loop that spawns a handler per client and keeps serving
// through exhausted descriptors and aborted connections.
#include "tasknet/net/tcp_server.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
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

/// The handler, shared by the server's frame and every connection task it started. A lambda
/// coroutine reads its captures through a pointer to its closure, which lives in the handler: the
/// server's frame may go first (stopped, or its scheduler going), so the handler lives until the
/// last of these frames does. Each connection's frame holds its count in its promise
/// (detail::FrameOwner), released however the frame is destroyed: keeping the handler costs no
/// allocation and no byte per connection, where a wrapper task holding a shared_ptr would add a
/// coroutine frame to every connection, idle ones included. One allocation per server. A server
/// and its connections run on one scheduler, so one thread: a plain count.
class SharedHandler final : public detail::FrameOwner {
 public:
  struct Release {
    void operator()(SharedHandler* shared) const noexcept { shared->release(); }
  };
  /// The server's hold: released when its frame goes.
  using Hold = std::unique_ptr<SharedHandler, Release>;

  static Hold make(ConnectionHandler handler) {
    return Hold{new SharedHandler(std::move(handler))};
  }

  SharedHandler(const SharedHandler&) = delete;
  SharedHandler& operator=(const SharedHandler&) = delete;

  /// Spawns handler(client, peer) on `scheduler`, its frame keeping the handler alive. Throws
  /// what the handler and Scheduler::spawn throw.
  void spawn(Scheduler& scheduler, Socket client, Address peer) {
    const auto frame = handler_(std::move(client), peer).release();
    scheduler.spawn(Task<void>{frame});  // on failure the frame is gone, holding nothing
    frame.promise().keep_alive(*this);   // detached now, and not started before our next turn
    ++holders_;
  }

  void release() noexcept override {
    if (--holders_ == 0) delete this;
  }

 private:
  explicit SharedHandler(ConnectionHandler handler) noexcept : handler_(std::move(handler)) {}
  ~SharedHandler() = default;

  ConnectionHandler handler_;
  std::size_t holders_ = 1;  // the server's frame, and each connection's frame alive
};

}  // namespace

Task<void> tcp_server(TcpListener listener, ConnectionHandler handler, TcpServerOptions options) {
  Scheduler& scheduler = co_await this_scheduler();
  const SharedHandler::Hold shared = SharedHandler::make(std::move(handler));
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
      co_await sleep_for(backoff, {.stop = options.stop});
      backoff = std::min(backoff * 2, options.max_backoff);
      continue;
    }
    backoff = options.first_backoff;
    shared->spawn(scheduler, std::move(accepted->socket), accepted->peer);
  }
}

Task<void> tcp_server(Address address, ConnectionHandler handler, TcpServerOptions options) {
  TcpListener listener = TcpListener::bind(address);  // named: see apps/echo/main.cpp's serve()
  co_await tcp_server(std::move(listener), std::move(handler), std::move(options));
}

}  // namespace tasknet
