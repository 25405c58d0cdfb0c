// Readiness waits on every backend: the seed's 'recv' and 'send' waits, with deadlines,
// cancellation, two directions at once, one waiter per direction, and closing while waiting.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <stop_token>
#include <system_error>

#include "backends.hpp"
#include "run_task.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::run_to_completion;

struct SocketPair {
  FileDescriptor a;
  FileDescriptor b;
  SocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      throw std::system_error(errno, std::system_category(), "socketpair");
    }
    a = FileDescriptor{fds[0]};
    b = FileDescriptor{fds[1]};
  }
};

class Wait : public ::testing::TestWithParam<Backend> {
 protected:
  Scheduler scheduler{{.backend = GetParam()}};
};

Task<void> write_after(int fd, Clock::duration delay) {
  co_await sleep_for(delay);
  EXPECT_EQ(::write(fd, "x", 1), 1);
}

TEST_P(Wait, ReadableWaitEndsWhenDataArrives) {
  SocketPair pair;
  auto reader = [](FileDescriptor* fd) -> Task<WaitStatus> { co_return co_await fd->readable(); };
  scheduler.spawn(write_after(pair.b.get(), 5ms));
  EXPECT_EQ(run_to_completion(scheduler, reader(&pair.a)), WaitStatus::ready);
  char byte = 0;
  EXPECT_EQ(pair.a.try_read({&byte, 1}), 1U);
}

TEST_P(Wait, RawDescriptorWaitSeesDataThatIsAlreadyThere) {
  // The seed's form, on a descriptor tasknet does not own: the wait must look at the level, not
  // trust an edge that came before it (this is what the epoll backend re-arms for).
  SocketPair pair;
  auto twice = [](int fd) -> Task<int> {
    int woken = 0;
    for (int i = 0; i < 2; ++i) {
      if (co_await readable(fd, {.deadline = after(2s)}) == WaitStatus::ready) ++woken;
      char byte = 0;
      EXPECT_EQ(::read(fd, &byte, 1), 1);  // one of the two bytes: the other stays
    }
    co_return woken;
  };
  ASSERT_EQ(::write(pair.b.get(), "xy", 2), 2);
  EXPECT_EQ(run_to_completion(scheduler, twice(pair.a.get())), 2);
}

TEST_P(Wait, AfterTheSeedsOwnRawReadTheNextWaitWaitsAgain) {
  // The seed's pattern on a descriptor tasknet owns: wait, then read it directly. tasknet cannot
  // see that read drain it, so the next wait must ask the backend, not trust what it reported.
  SocketPair pair;
  auto seed_reader = [](FileDescriptor* fd) -> Task<int> {
    int ready = 0;
    for (int i = 0; i < 1000; ++i) {
      if (co_await fd->readable({.deadline = after(20ms)}) != WaitStatus::ready) break;
      ++ready;
      char byte = 0;
      (void)!::read(fd->get(), &byte, 1);
    }
    co_return ready;
  };
  ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
  EXPECT_EQ(run_to_completion(scheduler, seed_reader(&pair.a)), 1)
      << "one byte written: one wait may end ready";
}

TEST_P(Wait, TheSeedsPatternReadsEveryByteAsItComes) {
  SocketPair pair;
  auto writer = [](int fd) -> Task<void> {
    for (int i = 0; i < 50; ++i) {
      co_await sleep_for(1ms);
      EXPECT_EQ(::write(fd, "x", 1), 1);
    }
  };
  auto seed_reader = [](FileDescriptor* fd) -> Task<int> {
    int bytes = 0;
    while (bytes < 50) {
      if (co_await fd->readable({.deadline = after(5s)}) != WaitStatus::ready) break;
      char byte = 0;
      if (::read(fd->get(), &byte, 1) == 1) ++bytes;
    }
    co_return bytes;
  };
  scheduler.spawn(writer(pair.b.get()));
  EXPECT_EQ(run_to_completion(scheduler, seed_reader(&pair.a)), 50);
}

TEST_P(Wait, WritableWaitOnAnEmptySocketEndsAtOnce) {
  SocketPair pair;
  auto writer = [](int fd) -> Task<WaitStatus> { co_return co_await writable(fd); };
  EXPECT_EQ(run_to_completion(scheduler, writer(pair.a.get())), WaitStatus::ready);
}

TEST_P(Wait, WaitEndsWithTimedOutAtItsDeadline) {
  SocketPair pair;
  auto reader = [](FileDescriptor* fd) -> Task<WaitStatus> {
    co_return co_await fd->readable({.deadline = after(10ms)});
  };
  const TimePoint start = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, reader(&pair.a)), WaitStatus::timed_out);
  EXPECT_GE(Clock::now() - start, 10ms);
}

TEST_P(Wait, CancelledWaitLeavesItsWaitingAreaSoAnotherTaskCanWait) {
  SocketPair pair;
  std::stop_source stop;
  auto first = [](FileDescriptor* fd, std::stop_token token) -> Task<WaitStatus> {
    co_return co_await fd->readable({.stop = token});
  };
  auto second = [](FileDescriptor* fd, std::stop_source* source) -> Task<WaitStatus> {
    co_await yield_now();  // let `first` park
    source->request_stop();
    co_return co_await fd->readable({.deadline = after(5ms)});
  };
  auto both = [&]() -> Task<void> {
    Scheduler& self = co_await this_scheduler();
    WaitStatus first_status = WaitStatus::ready;
    auto record = [](Task<WaitStatus> task, WaitStatus* out) -> Task<void> {
      *out = co_await std::move(task);
    };
    self.spawn(record(first(&pair.a, stop.get_token()), &first_status));
    EXPECT_EQ(co_await second(&pair.a, &stop), WaitStatus::timed_out);
    EXPECT_EQ(first_status, WaitStatus::cancelled);
  };
  run_to_completion(scheduler, both());
}

TEST_P(Wait, ASecondTaskWaitingTheSameWayIsALogicError) {
  SocketPair pair;
  auto first = [](FileDescriptor* fd) -> Task<void> {
    co_await fd->readable({.deadline = after(20ms)});
  };
  auto second = [](FileDescriptor* fd) -> Task<void> {
    co_await yield_now();
    EXPECT_THROW(co_await fd->readable(), std::logic_error);
  };
  scheduler.spawn(first(&pair.a));
  run_to_completion(scheduler, second(&pair.a));
}

TEST_P(Wait, AReaderAndAWriterOnOneDescriptorAreBothServed) {
  SocketPair pair;
  // Fill a's send buffer so its writer must wait, then let the peer drain it and send a byte.
  const std::string chunk(65536, 'z');
  while (::send(pair.a.get(), chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
  }
  auto reader = [](FileDescriptor* fd) -> Task<WaitStatus> { co_return co_await fd->readable(); };
  auto writer = [](FileDescriptor* fd) -> Task<WaitStatus> { co_return co_await fd->writable(); };
  auto peer = [](int fd) -> Task<void> {
    co_await sleep_for(5ms);
    std::string sink(1 << 20, '\0');
    while (::read(fd, sink.data(), sink.size()) > 0) {
    }
    EXPECT_EQ(::write(fd, "x", 1), 1);
  };
  auto all = [&]() -> Task<void> {
    Scheduler& self = co_await this_scheduler();
    WaitStatus read_status = WaitStatus::cancelled;
    auto record = [](Task<WaitStatus> task, WaitStatus* out) -> Task<void> {
      *out = co_await std::move(task);
    };
    self.spawn(record(reader(&pair.a), &read_status));
    self.spawn(peer(pair.b.get()));
    EXPECT_EQ(co_await writer(&pair.a), WaitStatus::ready);
    while (read_status != WaitStatus::ready) co_await sleep_for(1ms);
  };
  run_to_completion(scheduler, all());
}

TEST_P(Wait, TasksThatKeepYieldingDoNotStarveIo) {
  SocketPair pair;
  ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
  bool served = false;
  int yields = 0;
  auto reader = [](FileDescriptor* fd, bool* done) -> Task<void> {
    co_await fd->readable({.deadline = after(5s)});
    *done = true;
  };
  auto spinner = [](const bool* done, int* count) -> Task<void> {
    while (!*done && *count < 1'000'000) {
      co_await yield_now();
      ++*count;
    }
  };
  scheduler.spawn(spinner(&served, &yields));
  scheduler.spawn(reader(&pair.a, &served));
  scheduler.run();
  EXPECT_TRUE(served);
  EXPECT_LE(yields, static_cast<int>(2 * Scheduler::poll_interval))
      << "I/O waited this many yields";
}

TEST_P(Wait, TasksThatKeepYieldingDoNotStarveTimers) {
  bool woke = false;
  int yields = 0;
  auto sleeper = [](bool* done) -> Task<void> {
    co_await sleep_for(2ms);
    *done = true;
  };
  auto spinner = [](const bool* done, int* count) -> Task<void> {
    const TimePoint give_up = after(5s);
    while (!*done && Clock::now() < give_up) {
      co_await yield_now();
      ++*count;
    }
  };
  const TimePoint start = Clock::now();
  scheduler.spawn(sleeper(&woke));
  scheduler.spawn(spinner(&woke, &yields));
  scheduler.run();
  EXPECT_TRUE(woke);
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST_P(Wait, ClosingTheDescriptorWakesItsWaiterAsCancelled) {
  SocketPair pair;
  auto reader = [](FileDescriptor* fd) -> Task<WaitStatus> { co_return co_await fd->readable(); };
  auto closer = [](FileDescriptor* fd) -> Task<void> {
    co_await yield_now();
    fd->close();
  };
  scheduler.spawn(closer(&pair.a));
  EXPECT_EQ(run_to_completion(scheduler, reader(&pair.a)), WaitStatus::cancelled);
}

TEST(FileDescriptor, MayOutliveTheSchedulerItWaitedOn) {
  SocketPair pair;  // declared first: destroyed after the scheduler
  {
    Scheduler scheduler;
    auto wait_once = [](FileDescriptor* fd) -> Task<WaitStatus> {
      co_return co_await fd->writable();
    };
    EXPECT_EQ(run_to_completion(scheduler, wait_once(&pair.a)), WaitStatus::ready);
    EXPECT_EQ(pair.a.scheduler(), &scheduler);
  }
  EXPECT_EQ(pair.a.scheduler(), nullptr);  // let go, still open
  EXPECT_TRUE(pair.a.is_open());
  EXPECT_EQ(::write(pair.a.get(), "x", 1), 1);
}

TEST(FileDescriptor, AMovedDescriptorIsTheOneLetGo) {
  SocketPair pair;
  FileDescriptor moved;
  {
    Scheduler scheduler;
    auto wait_once = [](FileDescriptor* fd) -> Task<WaitStatus> {
      co_return co_await fd->writable();
    };
    EXPECT_EQ(run_to_completion(scheduler, wait_once(&pair.a)), WaitStatus::ready);
    moved = std::move(pair.a);
  }
  EXPECT_EQ(moved.scheduler(), nullptr);
  EXPECT_TRUE(moved.is_open());
}

TEST(SelectBackend, RefusesDescriptorsAtOrAboveFdSetSize) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur <= FD_SETSIZE) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, FD_SETSIZE + 16);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  SocketPair pair;
  const int high = ::fcntl(pair.a.get(), F_DUPFD_CLOEXEC, FD_SETSIZE);
  if (high < 0) GTEST_SKIP() << "cannot open a descriptor above FD_SETSIZE here";
  FileDescriptor high_fd{high};
  Scheduler scheduler{{.backend = Backend::select}};
  auto wait_high = [](FileDescriptor* fd) -> Task<std::string> {
    try {
      co_await fd->readable({.deadline = after(1s)});
    } catch (const std::system_error& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  const std::string message = run_to_completion(scheduler, wait_high(&high_fd));
  EXPECT_NE(message.find("FD_SETSIZE"), std::string::npos) << message;
  high_fd.close();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Wait, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet
