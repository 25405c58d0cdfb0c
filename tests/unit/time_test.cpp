// Sleeping: deadline order, arrival order for equal deadlines, cancellation.
#include "tasknet/time.hpp"

#include <gtest/gtest.h>

#include <stop_token>
#include <vector>

#include "run_task.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;

Task<void> sleep_then_record(std::vector<int>* log, int id, TimePoint wake_at) {
  co_await sleep_until(wake_at);
  log->push_back(id);
}

TEST(Sleep, SleepersWakeInDeadlineOrder) {
  Scheduler scheduler;
  std::vector<int> log;
  const TimePoint now = Clock::now();
  scheduler.spawn(sleep_then_record(&log, 30, now + 30ms));
  scheduler.spawn(sleep_then_record(&log, 10, now + 10ms));
  scheduler.spawn(sleep_then_record(&log, 20, now + 20ms));
  scheduler.spawn(sleep_then_record(&log, 0, now));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<int>{0, 10, 20, 30}));
}

TEST(Sleep, EqualDeadlinesWakeInTheOrderTheyWentToSleep) {
  Scheduler scheduler;
  std::vector<int> log;
  const TimePoint wake_at = Clock::now() + 5ms;
  for (int id = 0; id < 8; ++id) scheduler.spawn(sleep_then_record(&log, id, wake_at));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Sleep, LastsAtLeastItsDuration) {
  Scheduler scheduler;
  auto timed = []() -> Task<Clock::duration> {
    const TimePoint start = Clock::now();
    co_await sleep_for(20ms);
    co_return Clock::now() - start;
  };
  EXPECT_GE(testing::run_to_completion(scheduler, timed()), 20ms);
}

TEST(Sleep, AZeroSleepLetsReadyTasksRunFirst) {
  Scheduler scheduler;
  std::vector<int> log;
  auto zero = [](std::vector<int>* out) -> Task<void> {
    co_await sleep_for(0ms);
    out->push_back(2);
  };
  auto other = [](std::vector<int>* out) -> Task<void> {
    out->push_back(1);
    co_return;
  };
  scheduler.spawn(zero(&log));
  scheduler.spawn(other(&log));
  scheduler.run();
  EXPECT_EQ(log, (std::vector<int>{1, 2}));
}

TEST(Sleep, StopRequestCancelsASleepAndRemovesIt) {
  Scheduler scheduler;
  std::stop_source stop;
  WaitStatus status = WaitStatus::ready;
  auto long_sleep = [](std::stop_token token, WaitStatus* out) -> Task<void> {
    *out = co_await sleep_for(std::chrono::hours(1), {.stop = token});
  };
  auto canceller = [](std::stop_source* source) -> Task<void> {
    co_await sleep_for(1ms);
    source->request_stop();
  };
  scheduler.spawn(long_sleep(stop.get_token(), &status));
  scheduler.spawn(canceller(&stop));
  scheduler.run();  // returns: the hour-long sleeper left its waiting area
  EXPECT_EQ(status, WaitStatus::cancelled);
}

TEST(Sleep, AlreadyStoppedTokenEndsTheSleepAtOnce) {
  Scheduler scheduler;
  std::stop_source stop;
  stop.request_stop();
  auto sleeper = [](std::stop_token token) -> Task<WaitStatus> {
    co_return co_await sleep_for(std::chrono::hours(1), {.stop = token});
  };
  EXPECT_EQ(testing::run_to_completion(scheduler, sleeper(stop.get_token())),
            WaitStatus::cancelled);
}

// The same options as every wait: a deadline before the wake-up time ends the sleep as timed out.
TEST(Sleep, ADeadlineBeforeTheWakeUpEndsItAsTimedOut) {
  Scheduler scheduler;
  auto sleeper = []() -> Task<WaitStatus> {
    co_return co_await sleep_for(std::chrono::hours(1), {.deadline = after(1ms)});
  };
  EXPECT_EQ(testing::run_to_completion(scheduler, sleeper()), WaitStatus::timed_out);
}

TEST(Sleep, ADeadlineAfterTheWakeUpChangesNothing) {
  Scheduler scheduler;
  auto sleeper = []() -> Task<WaitStatus> {
    co_return co_await sleep_for(1ms, {.deadline = after(std::chrono::hours(1))});
  };
  EXPECT_EQ(testing::run_to_completion(scheduler, sleeper()), WaitStatus::ready);
}

}  // namespace
}  // namespace tasknet
