// The scheduler: FIFO order, the exact interleaving of yielding tasks, detached tasks' errors,
// stop, and what run() does when tasks are left or gone.
#include "tasknet/scheduler.hpp"

#include <gtest/gtest.h>

#include <coroutine>
#include <stdexcept>
#include <string>
#include <vector>

#include "counted.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using testing::Counted;

Task<void> record(std::vector<std::string>* log, std::string name) {
  log->push_back(name);
  co_return;
}

// Part (a) of the seed: a countdown that yields after every step.
Task<void> countdown(std::vector<std::string>* log, std::string name, int n) {
  while (n > 0) {
    log->push_back(name + std::to_string(n));
    co_await yield_now();
    --n;
  }
}

TEST(Scheduler, RunReturnsAtOnceWithNoTasks) {
  Scheduler scheduler;
  scheduler.run();
  EXPECT_EQ(scheduler.task_count(), 0U);
}

TEST(Scheduler, SpawnDoesNotRunTheTaskYet) {
  Scheduler scheduler;
  std::vector<std::string> log;
  scheduler.spawn(record(&log, "a"));
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(scheduler.task_count(), 1U);
  scheduler.run();
  EXPECT_EQ(log, std::vector<std::string>{"a"});
  EXPECT_EQ(scheduler.task_count(), 0U);
}

TEST(Scheduler, RunsSpawnedTasksInFifoOrder) {
  Scheduler scheduler;
  std::vector<std::string> log;
  for (const char* name : {"a", "b", "c", "d"}) scheduler.spawn(record(&log, name));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(Scheduler, YieldingTasksInterleaveExactly) {
  Scheduler scheduler;
  std::vector<std::string> log;
  scheduler.spawn(countdown(&log, "A", 3));
  scheduler.spawn(countdown(&log, "B", 2));
  scheduler.spawn(countdown(&log, "C", 3));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<std::string>{"A3", "B2", "C3", "A2", "B1", "C2", "A1", "C1"}));
}

TEST(Scheduler, TasksSpawnedByTasksJoinTheBackOfTheQueue) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto parent = [](std::vector<std::string>* out) -> Task<void> {
    out->push_back("parent");
    (co_await this_scheduler()).spawn(record(out, "child"));
    co_await yield_now();
    out->push_back("parent again");
  };
  scheduler.spawn(parent(&log));
  scheduler.spawn(record(&log, "sibling"));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<std::string>{"parent", "sibling", "child", "parent again"}));
}

TEST(Scheduler, AnExceptionInADetachedTaskGoesToTheHandlerAndOthersGoOn) {
  std::vector<std::string> errors;
  Scheduler scheduler({.on_task_error = [&errors](std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      errors.emplace_back(e.what());
    }
  }});
  std::vector<std::string> log;
  auto failing = []() -> Task<void> {
    co_await yield_now();
    throw std::runtime_error("task failed");
  };
  scheduler.spawn(failing());
  scheduler.spawn(countdown(&log, "A", 3));
  scheduler.run();
  EXPECT_EQ(errors, std::vector<std::string>{"task failed"});
  EXPECT_EQ(log, (std::vector<std::string>{"A3", "A2", "A1"}));
}

TEST(Scheduler, ByDefaultAFailedDetachedTaskIsReportedOnStderr) {
  Scheduler scheduler;
  auto failing = []() -> Task<void> {
    throw std::runtime_error("disk on fire");
    co_return;
  };
  scheduler.spawn(failing());
  ::testing::internal::CaptureStderr();
  scheduler.run();
  const std::string printed = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "tasknet: a detached task failed: disk on fire\n");
}

TEST(Scheduler, StopReturnsFromRunAndRunCarriesOn) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto stopper = []() -> Task<void> {
    (co_await this_scheduler()).stop();
    co_return;
  };
  scheduler.spawn(countdown(&log, "A", 3));
  scheduler.spawn(stopper());
  scheduler.run();
  EXPECT_EQ(log, std::vector<std::string>{"A3"});
  EXPECT_EQ(scheduler.task_count(), 1U);
  scheduler.run();
  EXPECT_EQ(log, (std::vector<std::string>{"A3", "A2", "A1"}));
}

TEST(Scheduler, DestroyingItDestroysTheTasksStillAlive) {
  Counted::reset();
  {
    Scheduler scheduler;
    auto sleeper = [](Counted /*held*/) -> Task<void> {
      co_await sleep_for(std::chrono::hours(1));
    };
    auto stopper = []() -> Task<void> {
      (co_await this_scheduler()).stop();
      co_return;
    };
    for (int i = 0; i < 3; ++i) scheduler.spawn(sleeper(Counted{}));
    scheduler.spawn(stopper());
    scheduler.run();
    EXPECT_EQ(Counted::alive, 3);
  }
  EXPECT_EQ(Counted::alive, 0);
}

struct SuspendForever {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

TEST(Scheduler, RunReportsTasksThatCanNeverResumeInsteadOfHanging) {
  Scheduler scheduler;
  auto stuck = []() -> Task<void> { co_await SuspendForever{}; };
  scheduler.spawn(stuck());
  EXPECT_THROW(scheduler.run(), std::logic_error);
}

TEST(Scheduler, RunInsideRunIsALogicError) {
  Scheduler scheduler;
  bool threw = false;
  auto nested = [](bool* out) -> Task<void> {
    try {
      (co_await this_scheduler()).run();
    } catch (const std::logic_error&) {
      *out = true;
    }
  };
  scheduler.spawn(nested(&threw));
  scheduler.run();
  EXPECT_TRUE(threw);
}

TEST(Scheduler, AnAwaitedTaskRunsOnTheSchedulerOfItsAwaiter) {
  Scheduler scheduler;
  Scheduler* seen = nullptr;
  auto inner = [](Scheduler** out) -> Task<void> {
    co_await yield_now();  // needs a scheduler: it came from the awaiting task
    *out = &co_await this_scheduler();
  };
  auto outer = [](Task<void> task) -> Task<void> { co_await std::move(task); };
  scheduler.spawn(outer(inner(&seen)));
  scheduler.run();
  EXPECT_EQ(seen, &scheduler);
}

}  // namespace
}  // namespace tasknet
