// tcp_server on every backend: a handler's captures live as long as the connections it started,
// however the server task ends first (its stop token, or its scheduler going), and no longer.
#include "tasknet/net/tcp_server.hpp"

#include <gtest/gtest.h>

#include <stop_token>
#include <string>

#include "backends.hpp"
#include "counted.hpp"
#include "run_task.hpp"
#include "tasknet/net/connect_operation.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::Counted;
using testing::run_to_completion;

class TcpServer : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { Counted::reset(); }

  Scheduler scheduler{{.backend = GetParam()}};
};

/// Longer than a std::string's inline buffer, so that its bytes are on the heap as well.
constexpr const char* greeting = "hello from a handler whose captures outlive its server";

/// A lambda coroutine, as users write them: its captures live in the closure that tcp_server
/// holds, and the connection reads them after a co_await. It says "R" once it runs, then waits
/// for a byte and answers with the greeting.
ConnectionHandler capturing_handler() {
  return
      [reply = std::string(greeting), counted = Counted{}](Socket client, Address) -> Task<void> {
        co_await client.send_all("R");
        char byte = 0;
        const std::size_t got = co_await client.recv({&byte, 1});  // the server ends meanwhile
        if (got == 1) co_await client.send_all(reply);
      };
}

/// Serves `listener` with capturing_handler() until `stop`, then sets `ended`.
Task<void> serve(TcpListener listener, std::stop_token stop, bool* ended) {
  ConnectionHandler handler = capturing_handler();
  TcpServerOptions options{.stop = stop};  // named: see docs/design.md (GCC 12)
  co_await tcp_server(std::move(listener), std::move(handler), std::move(options));
  *ended = true;
}

/// Connects, waits until the handler runs, stops the server and waits until its task has ended,
/// then goes on with the exchange. Returns what the server sent after "R".
Task<std::string> client_outliving_the_server(Address address, std::stop_source* stop,
                                              const bool* ended, int* handlers_alive) {
  Socket socket = co_await connect(address, {.deadline = after(5s)});
  char ready = 0;
  EXPECT_EQ(co_await socket.recv({&ready, 1}, {.deadline = after(5s)}), 1U);
  stop->request_stop();
  while (!*ended) co_await sleep_for(1ms);
  *handlers_alive = Counted::alive;
  co_await socket.send_all("x");
  std::string reply;
  char buffer[256] = {};  // valgrind cannot see io_uring write into it: defined up front
  for (;;) {
    const std::size_t got = co_await socket.recv(buffer, {.deadline = after(5s)});
    if (got == 0) break;
    reply.append(buffer, got);
  }
  co_return reply;
}

TEST_P(TcpServer, ACapturingHandlerOutlivesTheStoppedServerWhileItsConnectionRuns) {
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
  const Address address = listener.local_address();
  std::stop_source stop;
  bool ended = false;
  int handlers_alive = 0;
  scheduler.spawn(serve(std::move(listener), stop.get_token(), &ended));
  const std::string reply = run_to_completion(
      scheduler, client_outliving_the_server(address, &stop, &ended, &handlers_alive));
  EXPECT_EQ(reply, greeting);
  EXPECT_EQ(handlers_alive, 1) << "the server has ended: only its connection keeps the handler";
  EXPECT_EQ(Counted::alive, 0) << "the server and its connection have ended: so has the handler";
}

TEST_P(TcpServer, TheHandlerGoesWithTheSchedulerWhenAConnectionIsLeft) {
  {
    Scheduler own{{.backend = GetParam()}};
    TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
    const Address address = listener.local_address();
    std::stop_source stop;
    bool ended = false;
    auto leave_the_connection_waiting = [](Address to, std::stop_source* source,
                                           const bool* server_ended) -> Task<void> {
      Socket socket = co_await connect(to, {.deadline = after(5s)});
      char ready = 0;
      EXPECT_EQ(co_await socket.recv({&ready, 1}, {.deadline = after(5s)}), 1U);
      source->request_stop();
      while (!*server_ended) co_await sleep_for(1ms);
      (co_await this_scheduler()).stop();  // the handler still waits for its byte
      co_await sleep_for(1h);
    };
    own.spawn(serve(std::move(listener), stop.get_token(), &ended));
    own.spawn(leave_the_connection_waiting(address, &stop, &ended));
    own.run();
    EXPECT_TRUE(ended);
    EXPECT_EQ(Counted::alive, 1);
  }
  EXPECT_EQ(Counted::alive, 0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TcpServer, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet
