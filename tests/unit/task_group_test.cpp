// TaskGroup and with_timeout: joining, the first failure cancelling the rest, cancellation from
// outside and from around, results, a group left without joining, deadlines that nest.
#include "tasknet/task_group.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "counted.hpp"
#include "run_task.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/timeout.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::run_to_completion;

Task<void> nap_then_record(Clock::duration nap, std::vector<std::string>* log, std::string name) {
  co_await sleep_for(nap);
  log->push_back(std::move(name));
}

/// Sleeps an hour unless cancelled, and says which.
Task<std::string> hour_long_nap() {
  const WaitStatus status = co_await sleep_for(std::chrono::hours(1));
  co_return status == WaitStatus::cancelled ? "cancelled" : "slept an hour";
}

/// Sleeps an hour, and throws Cancelled if it is cancelled first, as a value-producing
/// operation (a recv) would.
Task<int> hour_long_operation() {
  const WaitStatus status = co_await sleep_for(std::chrono::hours(1));
  if (status == WaitStatus::cancelled) throw Cancelled("hour-long operation");
  co_return 1;
}

/// An error handler that keeps what each error says.
Scheduler::ErrorHandler collect_into(std::vector<std::string>* reported) {
  return [reported](std::exception_ptr error) {
    try {
      std::rethrow_exception(std::move(error));
    } catch (const std::exception& e) {
      reported->emplace_back(e.what());
    }
  };
}

Task<void> fail_after(Clock::duration delay, std::string what) {
  co_await sleep_for(delay);
  throw std::runtime_error(what);
}

TEST(TaskGroup, JoinWaitsForEveryChild) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto parent = [](std::vector<std::string>* out) -> Task<std::size_t> {
    TaskGroup group = co_await task_group();
    group.spawn(nap_then_record, 3ms, out, std::string("slow"));
    group.spawn(nap_then_record, 1ms, out, std::string("fast"));
    const std::size_t running = group.running();
    co_await group.join();
    out->push_back("joined");
    co_return running;
  };
  EXPECT_EQ(run_to_completion(scheduler, parent(&log)), 2U);
  ASSERT_EQ(log.size(), 3U);
  std::sort(log.begin(), log.begin() + 2);  // in whatever order their sleeps ended
  EXPECT_EQ(log, (std::vector<std::string>{"fast", "slow", "joined"}));
}

TEST(TaskGroup, JoiningAnEmptyGroupIsImmediate) {
  Scheduler scheduler;
  auto parent = []() -> Task<bool> {
    TaskGroup group = co_await task_group();
    co_await group.join();
    co_return true;
  };
  EXPECT_TRUE(run_to_completion(scheduler, parent()));
}

TEST(TaskGroup, TheFirstFailureCancelsTheRestAndIsRethrownOnceTheyHaveFinished) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto sibling = [](std::vector<std::string>* out) -> Task<void> {
    out->push_back(co_await hour_long_nap());
  };
  auto parent = [&sibling](std::vector<std::string>* out) -> Task<std::string> {
    TaskGroup group = co_await task_group();
    group.spawn(sibling, out);
    group.spawn(fail_after, 1ms, std::string("first"));
    try {
      co_await group.join();
    } catch (const std::runtime_error& error) {
      out->push_back("join threw");
      co_return error.what();
    }
    co_return "join returned";
  };
  const TimePoint started = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, parent(&log)), "first");
  EXPECT_EQ(log, (std::vector<std::string>{"cancelled", "join threw"}));
  EXPECT_LT(Clock::now() - started, 10s);
}

TEST(TaskGroup, FailuresAfterTheFirstGoToTheSchedulersErrorHandler) {
  std::vector<std::string> reported;
  Scheduler scheduler({.on_task_error = collect_into(&reported)});
  // The second fails in its own cleanup, after the first cancelled it: nothing may be lost.
  auto fails_when_cancelled = []() -> Task<void> {
    co_await hour_long_nap();
    throw std::runtime_error("second");
  };
  auto parent = [&fails_when_cancelled]() -> Task<std::string> {
    TaskGroup group = co_await task_group();
    group.spawn(fails_when_cancelled);
    group.spawn(fail_after, 1ms, std::string("first"));
    try {
      co_await group.join();
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "join returned";
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), "first");
  EXPECT_EQ(reported, (std::vector<std::string>{"second"}));
}

TEST(TaskGroup, CancelEndsEveryChildAndJoinReturns) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto child = [](std::vector<std::string>* out) -> Task<void> {
    out->push_back(co_await hour_long_nap());
  };
  auto parent = [&child](std::vector<std::string>* out) -> Task<void> {
    TaskGroup group = co_await task_group();
    group.spawn(child, out);
    group.spawn(child, out);
    co_await sleep_for(1ms);
    group.cancel();
    co_await group.join();
    out->push_back("joined");
  };
  run_to_completion(scheduler, parent(&log));
  EXPECT_EQ(log, (std::vector<std::string>{"cancelled", "cancelled", "joined"}));
}

TEST(TaskGroup, SpawnKeepsACapturingLambdaAliveAsLongAsItsTask) {
  Scheduler scheduler;
  auto parent = []() -> Task<std::string> {
    TaskGroup group = co_await task_group();
    std::string out;
    {
      std::string captured = "still here";
      group.spawn([captured, &out]() -> Task<void> {
        co_await sleep_for(1ms);  // the scope that made `captured` is gone by now
        out = captured;
      });
    }
    co_await group.join();
    co_return out;
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), "still here");
}

TEST(TaskGroup, JoinableChildrenGiveTheirValuesAndExceptions) {
  Scheduler scheduler;
  auto square_later = [](int n) -> Task<int> {
    co_await sleep_for(1ms);
    co_return n* n;
  };
  auto parent = [&square_later]() -> Task<int> {
    TaskGroup group = co_await task_group();
    JoinHandle<int> three = group.spawn_joinable(square_later, 3);
    JoinHandle<int> four = group.spawn_joinable(square_later, 4);
    EXPECT_FALSE(three.done());
    EXPECT_THROW(three.get(), std::logic_error);
    co_await group.join();
    co_return three.get() + four.get();
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), 25);
}

// No join: leaving the scope cancels the children, which finish on their own; the run ends
// without waiting for the hour.
TEST(TaskGroup, LeavingTheScopeWithoutJoiningCancelsTheChildren) {
  Scheduler scheduler;
  testing::Counted::reset();
  std::string ended;
  auto child = [](std::string* out) -> Task<void> {
    const testing::Counted witness;
    *out = co_await hour_long_nap();
  };
  auto parent = [&child](std::string* out) -> Task<void> {
    TaskGroup group = co_await task_group();
    group.spawn(child, out);
    co_await sleep_for(1ms);
  };
  const TimePoint started = Clock::now();
  run_to_completion(scheduler, parent(&ended));
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_EQ(ended, "cancelled");
  EXPECT_EQ(testing::Counted::constructed, 1);
  EXPECT_EQ(testing::Counted::alive, 0);
}

TEST(TaskGroup, AFailureNobodyJoinsIsReported) {
  std::vector<std::string> reported;
  Scheduler scheduler({.on_task_error = collect_into(&reported)});
  auto parent = []() -> Task<void> {
    TaskGroup group = co_await task_group();
    group.spawn(fail_after, 1ms, std::string("unjoined"));
    co_await sleep_for(5ms);
  };
  run_to_completion(scheduler, parent());
  EXPECT_EQ(reported, (std::vector<std::string>{"unjoined"}));
}

// Destroying the scheduler with children that never ran, or still waiting, frees everything
// (ASan's leak check watches).
TEST(TaskGroup, ASchedulerGoingWithChildrenLeftFreesThem) {
  testing::Counted::reset();
  {
    Scheduler scheduler;
    auto child = []() -> Task<void> {
      const testing::Counted witness;
      co_await sleep_for(std::chrono::hours(1));
    };
    auto parent = [&child]() -> Task<void> {
      TaskGroup group = co_await task_group();
      group.spawn(child);
      group.spawn(child);
      co_await group.join();
    };
    auto stop_soon = []() -> Task<void> {
      co_await sleep_for(1ms);
      (co_await this_scheduler()).stop();
    };
    scheduler.spawn(parent());
    scheduler.spawn(stop_soon());
    scheduler.run();
  }
  EXPECT_EQ(testing::Counted::constructed, 2);
  EXPECT_EQ(testing::Counted::alive, 0);
}

// --- with_timeout ------------------------------------------------------------------------------

Task<int> quick() {
  co_await sleep_for(1ms);
  co_return 7;
}

Task<int> already_done() {
  co_return 8;
}

TEST(WithTimeout, GivesTheValueOfATaskThatFinishesInTime) {
  Scheduler scheduler;
  auto parent = []() -> Task<int> {
    const int a = co_await with_timeout(5s, quick());
    const int b = co_await with_timeout(5s, already_done());
    co_await sleep_for(20ms);  // the disarmed timers must not fire into the finished scopes
    co_return a + b;
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), 15);
}

TEST(WithTimeout, ATaskStillWaitingAtTheDeadlineIsCancelledThenTimedOutIsThrown) {
  Scheduler scheduler;
  auto parent = []() -> Task<std::string> {
    try {
      co_await with_timeout(20ms, hour_long_operation());
    } catch (const TimedOut& error) {
      co_return error.what();
    }
    co_return "no timeout";
  };
  const TimePoint started = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, parent()), "with_deadline: deadline passed");
  EXPECT_GE(Clock::now() - started, 20ms);
  EXPECT_LT(Clock::now() - started, 10s);
}

TEST(WithTimeout, ATaskThatHandlesItsCancellationGivesItsValue) {
  Scheduler scheduler;
  auto parent = []() -> Task<std::string> {
    co_return co_await with_timeout(5ms, hour_long_nap());
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), "cancelled");
}

TEST(WithTimeout, AShorterInnerDeadlineReportsItselfThroughTheOuter) {
  Scheduler scheduler;
  auto inner = []() -> Task<int> { co_return co_await with_timeout(10ms, hour_long_operation()); };
  auto parent = [&inner]() -> Task<std::string> {
    try {
      co_await with_timeout(std::chrono::hours(1), inner());
    } catch (const TimedOut& error) {
      co_return error.what();
    }
    co_return "no timeout";
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), "with_deadline: deadline passed");
}

TEST(WithTimeout, AShorterOuterDeadlineShowsInsideAsCancellation) {
  Scheduler scheduler;
  std::string inner_saw;
  auto inner = [](std::string* saw) -> Task<int> {
    try {
      co_return co_await with_timeout(std::chrono::hours(1), hour_long_operation());
    } catch (const TimedOut&) {
      *saw = "inner timed out";
      throw;
    } catch (const Cancelled&) {
      *saw = "cancelled from outside";
      throw;
    }
  };
  auto parent = [&inner](std::string* saw) -> Task<bool> {
    try {
      co_await with_timeout(10ms, inner(saw));
    } catch (const TimedOut&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(run_to_completion(scheduler, parent(&inner_saw)));
  EXPECT_EQ(inner_saw, "cancelled from outside");
}

// A group inside a timeout: the deadline cancels its children, and the join reports it.
TEST(WithTimeout, ReachesTheChildrenOfAGroupInside) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto child = [](std::vector<std::string>* out) -> Task<void> {
    out->push_back(co_await hour_long_nap());
  };
  auto fan_out = [&child](std::vector<std::string>* out) -> Task<void> {
    TaskGroup group = co_await task_group();
    group.spawn(child, out);
    group.spawn(child, out);
    co_await group.join();
  };
  auto parent = [&fan_out](std::vector<std::string>* out) -> Task<void> {
    try {
      co_await with_timeout(10ms, fan_out(out));
    } catch (const TimedOut&) {
      out->push_back("timed out");
    }
  };
  run_to_completion(scheduler, parent(&log));
  EXPECT_EQ(log, (std::vector<std::string>{"cancelled", "cancelled", "timed out"}));
}

}  // namespace
}  // namespace tasknet
