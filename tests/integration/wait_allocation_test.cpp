// Stoppable waits allocate nothing once warm, however many tasks wait at once: the storage of
// their stop callbacks is recycled, one block per waiter at most (allocation_counter.hpp counts).
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stop_token>
#include <system_error>
#include <vector>

#include "allocation_counter.hpp"
#include "backends.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

class WaitAllocations : public ::testing::TestWithParam<Backend> {};

constexpr int waiters = 200;
constexpr int rounds = 40;  // 8,000 wake-ups

/// Waits for a byte, reads it, and again, `rounds` times, each wait stoppable. Between two
/// waits it gives the other tasks a turn, as a handler sending its reply would: then many waits
/// have ended before any begins again, and their blocks must all be kept.
Task<void> reader(FileDescriptor* fd, std::stop_token stop) {
  for (int i = 0; i < rounds; ++i) {
    char byte = 0;
    while (!fd->try_read({&byte, 1})) {
      if (co_await fd->readable({.stop = stop}) != WaitStatus::ready) co_return;
    }
    co_await yield_now();
  }
}

/// Writes one byte to every pair per round; counts the allocations after the first round.
Task<void> writer(const std::vector<int>* peers, long* counted) {
  for (int round = 0; round < rounds; ++round) {
    if (round == 1) *counted = testing::allocations();
    for (const int fd : *peers) EXPECT_EQ(::write(fd, "x", 1), 1);
    for (int i = 0; i < 4; ++i) co_await yield_now();  // the readers run, and wait again
  }
  *counted = testing::allocations() - *counted;
}

TEST_P(WaitAllocations, TwoHundredStoppableWaitersAllocateNothingOnceWarm) {
  Scheduler scheduler{{.backend = GetParam()}};
  std::stop_source stop;
  std::vector<FileDescriptor> mine;
  std::vector<int> peers;
  mine.reserve(waiters);
  for (int i = 0; i < waiters; ++i) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    mine.emplace_back(fds[0]);
    peers.push_back(fds[1]);
  }
  for (FileDescriptor& fd : mine) scheduler.spawn(reader(&fd, stop.get_token()));
  long counted = -1;
  scheduler.spawn(writer(&peers, &counted));
  scheduler.run();
  EXPECT_EQ(counted, 0) << "allocations over " << (rounds - 1) * waiters << " wake-ups";
  for (const int fd : peers) ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, WaitAllocations, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
