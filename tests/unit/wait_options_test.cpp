// WaitOptions as applications write them: braced temporaries inside co_await expressions. GCC 12
// destroys such temporaries more than once when they have a non-trivial destructor; these tests
// exercise the pattern (and run under valgrind too, see tests/CMakeLists.txt), proving that
// WaitOptions is immune and that the stop token still works afterwards.
#include "tasknet/wait_options.hpp"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <stop_token>
#include <system_error>

#include "run_task.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::run_to_completion;

static_assert(std::is_trivially_destructible_v<WaitOptions>);
static_assert(!std::is_constructible_v<StopRef, std::stop_token&&>,
              "a StopRef must not bind to a temporary token");

TEST(WaitOptions, BracedOptionsWithAStopTokenSurviveManyAwaitsAndStillCancel) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  FileDescriptor a{fds[0]};
  FileDescriptor b{fds[1]};
  Scheduler scheduler;
  std::stop_source source;
  auto waits = [](FileDescriptor* fd, std::stop_source* stop_source) -> Task<int> {
    const std::stop_token stop = stop_source->get_token();
    int timed_out = 0;
    for (int i = 0; i < 50; ++i) {
      const WaitStatus status = co_await fd->readable({.deadline = after(0ms), .stop = stop});
      if (status == WaitStatus::timed_out) ++timed_out;
    }
    // The token's shared state must still be intact: stopping cancels the next wait.
    stop_source->request_stop();
    const WaitStatus last = co_await fd->readable({.deadline = after(5s), .stop = stop});
    co_return last == WaitStatus::cancelled ? timed_out : -1;
  };
  EXPECT_EQ(run_to_completion(scheduler, waits(&a, &source)), 50);
}

TEST(WaitOptions, TheWaitKeepsItsOwnCopyOfTheToken) {
  Scheduler scheduler;
  std::stop_source source;
  auto sleeper = [](std::stop_source* stop_source) -> Task<WaitStatus> {
    auto sleep = [stop_source] {
      const std::stop_token scoped = stop_source->get_token();
      return sleep_for(std::chrono::hours(1), {.stop = scoped});  // `scoped` dies first
    }();
    co_return co_await sleep;
  };
  auto stopper = [](std::stop_source* stop_source) -> Task<void> {
    co_await yield_now();
    stop_source->request_stop();
  };
  scheduler.spawn(stopper(&source));
  EXPECT_EQ(run_to_completion(scheduler, sleeper(&source)), WaitStatus::cancelled);
}

}  // namespace
}  // namespace tasknet
