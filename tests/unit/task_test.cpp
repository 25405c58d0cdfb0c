// Task<T>: laziness, values and exceptions through co_await, deep and long await chains, and
// frames freed in every ending.
#include "tasknet/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "counted.hpp"
#include "run_task.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using testing::Counted;
using testing::run_to_completion;

Task<int> answer() {
  co_return 42;
}

Task<int> set_flag_and_return(bool* started) {
  *started = true;
  co_return 7;
}

Task<int> fail_with(std::string message) {
  throw std::runtime_error(message);
  co_return 0;
}

Task<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

Task<long> sum_of_many(int count) {
  long sum = 0;
  for (int i = 0; i < count; ++i) sum += co_await answer();
  co_return sum;
}

Task<void> hold(Counted /*held*/) {
  co_await sleep_for(std::chrono::hours(1));
}

TEST(Task, DoesNotStartUntilAwaited) {
  bool started = false;
  Task<int> task = set_flag_and_return(&started);
  EXPECT_FALSE(started);
  EXPECT_FALSE(task.done());
  Scheduler scheduler;
  EXPECT_EQ(run_to_completion(scheduler, std::move(task)), 7);
  EXPECT_TRUE(started);
}

TEST(Task, AwaitReturnsTheValue) {
  Scheduler scheduler;
  auto outer = []() -> Task<int> { co_return 1 + co_await answer(); };
  EXPECT_EQ(run_to_completion(scheduler, outer()), 43);
}

TEST(Task, AwaitRethrowsTheException) {
  Scheduler scheduler;
  auto outer = []() -> Task<std::string> {
    try {
      co_await fail_with("broken");
    } catch (const std::runtime_error& error) {
      co_return std::string("caught ") + error.what();
    }
    co_return "not caught";
  };
  EXPECT_EQ(run_to_completion(scheduler, outer()), "caught broken");
}

TEST(Task, MoveOnlyValuesComeThrough) {
  Scheduler scheduler;
  auto make = []() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
  EXPECT_EQ(*run_to_completion(scheduler, make()), 5);
}

TEST(Task, MillionDeepAwaitChainUsesConstantStack) {
#if defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
  GTEST_SKIP() << "GCC's ASan stops the tail calls of symmetric transfer; the asan-ubsan preset "
                  "uses clang, which keeps them";
#endif
  // Each level awaits the next: without symmetric transfer this recursion would need about a
  // million native stack frames and overflow the default 8 MiB stack.
  Scheduler scheduler;
  EXPECT_EQ(run_to_completion(scheduler, nested(1'000'000)), 1'000'000);
}

TEST(Task, MillionAwaitsOfTasksThatFinishAtOnceUseConstantStack) {
  Scheduler scheduler;
  EXPECT_EQ(run_to_completion(scheduler, sum_of_many(1'000'000)), 42'000'000L);
}

TEST(Task, DestroyingAnUnstartedTaskFreesItsFrame) {
  Counted::reset();
  {
    Task<void> task = hold(Counted{});
    EXPECT_EQ(Counted::alive, 1);  // the parameter, copied into the frame
  }
  EXPECT_EQ(Counted::alive, 0);
}

TEST(Task, DestroyingASuspendedTaskFreesItsFrameAndWhatItAwaits) {
  Counted::reset();
  {
    Scheduler scheduler;
    auto parent = [](Counted /*mine*/) -> Task<void> { co_await hold(Counted{}); };
    scheduler.spawn(parent(Counted{}));
    auto stopper = []() -> Task<void> { (co_await this_scheduler()).stop(); };
    scheduler.spawn(stopper());
    scheduler.run();               // parent is now asleep inside hold(), an hour from waking
    EXPECT_EQ(Counted::alive, 3);  // parent's parameter, the temporary it passed, hold's copy
  }
  EXPECT_EQ(Counted::alive, 0);
}

TEST(Task, ResultIsDestroyedWithTheTask) {
  Counted::reset();
  {
    Scheduler scheduler;
    auto make = []() -> Task<Counted> { co_return Counted{}; };
    auto consume = [](Task<Counted> inner) -> Task<void> {
      Counted got = co_await std::move(inner);
      EXPECT_GE(Counted::alive, 1);
    };
    run_to_completion(scheduler, consume(make()));
  }
  EXPECT_EQ(Counted::alive, 0);
}

TEST(Task, AwaitingTwiceIsALogicError) {
  Scheduler scheduler;
  auto twice = []() -> Task<void> {
    Task<int> task = answer();
    EXPECT_EQ(co_await task, 42);
    EXPECT_THROW(co_await task, std::logic_error);
  };
  run_to_completion(scheduler, twice());
}

TEST(Task, AwaitingAnEmptyTaskIsALogicError) {
  Scheduler scheduler;
  auto empty = []() -> Task<void> {
    Task<int> task;
    EXPECT_FALSE(task.valid());
    EXPECT_THROW(co_await task, std::logic_error);
  };
  run_to_completion(scheduler, empty());
}

TEST(Task, MoveAssignmentDestroysTheFrameItReplaces) {
  Counted::reset();
  Task<void> task = hold(Counted{});
  task = hold(Counted{});
  EXPECT_EQ(Counted::alive, 1);
  task = Task<void>{};
  EXPECT_EQ(Counted::alive, 0);
}

}  // namespace
}  // namespace tasknet
