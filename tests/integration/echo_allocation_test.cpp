// The echo path allocates nothing per message: once a connection is warm, thousands of
// request/reply exchanges cost no heap allocation at all, on any backend. Counted by replacing
// the global operator new in this test program (allocation_counter.hpp).
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "allocation_counter.hpp"
#include "backends.hpp"
#include "blocking_client.hpp"
#include "echo_service.hpp"
#include "server_thread.hpp"
#include "tasknet/net/tcp_server.hpp"

namespace tasknet {
namespace {

class EchoAllocations : public ::testing::TestWithParam<Backend> {};

/// Exchanges 5,000 requests on one warm connection and returns the heap allocations counted.
long allocations_per_5000_exchanges(Backend backend, echo::EchoConfig config);

TEST_P(EchoAllocations, AWarmConnectionAllocatesNothingPerMessage) {
  EXPECT_EQ(allocations_per_5000_exchanges(GetParam(), {}), 0);
}

TEST_P(EchoAllocations, CancellableWaitsAllocateNothingEither) {
  // With a drainable service every wait for a request registers a stop callback: its storage
  // comes from the scheduler's pool, not the heap. An idle timeout adds a timer per wait.
  EXPECT_EQ(allocations_per_5000_exchanges(
                GetParam(), {.idle_timeout = std::chrono::seconds(30), .drainable = true}),
            0);
}

long allocations_per_5000_exchanges(Backend backend, echo::EchoConfig config) {
  echo::EchoService service(std::move(config));
  testing::ServerThread server(backend, [&service](Scheduler& scheduler, TcpListener listener) {
    scheduler.spawn(tcp_server(std::move(listener), [&service](Socket client, Address peer) {
      return service.echo_handler(std::move(client), peer);
    }));
  });
  testing::BlockingClient client(server.port());
  char request[64] = "ping";
  char reply[64];
  auto exchange = [&] {
    // Raw calls on buffers that already exist: the client side allocates nothing either.
    EXPECT_EQ(::send(client.fd(), request, 4, 0), 4);
    std::size_t got = 0;
    while (got < 8) {
      const ssize_t n = ::recv(client.fd(), reply + got, sizeof reply - got, 0);
      if (n < 0 && errno == EINTR) continue;  // see docs/design.md: io_uring's clean-up work
      if (n <= 0) {
        ADD_FAILURE() << "connection ended";
        return;
      }
      got += static_cast<std::size_t>(n);
    }
  };
  for (int i = 0; i < 100; ++i) exchange();  // warm: buffers pooled, queues grown
  const long before = testing::allocations();
  for (int i = 0; i < 5000; ++i) exchange();
  return testing::allocations() - before;
}

INSTANTIATE_TEST_SUITE_P(AllBackends, EchoAllocations, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
