// What tcp_server costs per connection, on every backend: once warm, a connection allocates its
// handler's coroutine frame and nothing else (keeping the handler alive for it included: a
// wrapper task would double this count).
// Counted by replacing the global operator new in this test program (allocation_counter.hpp).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>

#include "allocation_counter.hpp"  // this program's operator new counts
#include "backends.hpp"
#include "server_thread.hpp"
#include "tasknet/net/tcp_server.hpp"

namespace tasknet {
namespace {

class TcpServerAllocations : public ::testing::TestWithParam<Backend> {};

/// Answers one byte with the same byte, then ends.
Task<void> answer_one_byte(Socket client) {
  char byte = 0;
  const std::size_t got = co_await client.recv({&byte, 1});
  if (got == 1) co_await client.send_all({&byte, 1});
}

/// One connection from a raw client socket, which allocates nothing: connect, one byte each way,
/// close. Returns whether the byte came back.
bool one_exchange(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char byte = 'x';
  bool answered = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                  ::send(fd, &byte, 1, 0) == 1;
  ssize_t got = -1;
  while (answered && (got = ::recv(fd, &byte, 1, 0)) < 0 && errno == EINTR) {
    // see docs/design.md: io_uring's clean-up work may interrupt a blocking call
  }
  answered = answered && got == 1 && byte == 'x';
  ::close(fd);
  return answered;
}

TEST_P(TcpServerAllocations, AConnectionAllocatesItsHandlersFrameAndNothingElse) {
  testing::ServerThread server(GetParam(), [](Scheduler& scheduler, TcpListener listener) {
    // tasknet-echo's form: a lambda that returns the task of a coroutine function.
    scheduler.spawn(tcp_server(std::move(listener), [](Socket client, Address) {
      return answer_one_byte(std::move(client));
    }));
  });
  constexpr int warm = 100;
  constexpr int measured = 1000;
  for (int i = 0; i < warm; ++i) ASSERT_TRUE(one_exchange(server.port()));
  const long before = testing::allocations();
  for (int i = 0; i < measured; ++i) ASSERT_TRUE(one_exchange(server.port()));
  const long per_thousand = testing::allocations() - before;
  ::testing::Test::RecordProperty("allocations_per_1000_connections",
                                  static_cast<int>(per_thousand));
  // A connection that outlives the next one's arrival can push a table (the scheduler's
  // detached tasks, say) to a new high-water mark: a rare allocation, not one per connection.
  EXPECT_GE(per_thousand, measured);
  EXPECT_LE(per_thousand, measured + measured / 100)
      << "one allocation per connection: its handler's frame";
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TcpServerAllocations, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
