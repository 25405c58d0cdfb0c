// Standalone Asio with C++20 coroutines, in the form of Asio's own
// src/examples/cpp20/coroutines/echo_server.cpp, speaking the seed's protocol.
// Usage: asio_server PORT
#include <asio.hpp>
#include <cstdlib>
#include <cstring>

using asio::awaitable;
using asio::co_spawn;
using asio::detached;
using asio::use_awaitable;
using asio::ip::tcp;

awaitable<void> echo(tcp::socket socket) {
  try {
    char data[4 + 1000] = {'G', 'O', 'T', ':'};
    for (;;) {
      std::size_t n = co_await socket.async_read_some(asio::buffer(data + 4, 1000), use_awaitable);
      co_await async_write(socket, asio::buffer(data, 4 + n), use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

awaitable<void> listener(unsigned short port) {
  auto executor = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(executor, {asio::ip::make_address("127.0.0.1"), port});
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    socket.set_option(tcp::no_delay(true));
    co_spawn(executor, echo(std::move(socket)), detached);
  }
}

int main(int argc, char** argv) {
  asio::io_context io_context(1);
  asio::signal_set signals(io_context, SIGINT, SIGTERM);
  signals.async_wait([&](auto, auto) { io_context.stop(); });
  co_spawn(io_context,
           listener(static_cast<unsigned short>(std::atoi(argc > 1 ? argv[1] : "25000"))),
           detached);
  io_context.run();
}
