// when_all and when_any: values in order, the first failure or the first finisher cancelling
// the rest, and every task ended before the call returns.
#include "tasknet/when.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_task.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::run_to_completion;

Task<int> value_after(Clock::duration delay, int value) {
  co_await sleep_for(delay);
  co_return value;
}

Task<std::string> text_after(Clock::duration delay, std::string text) {
  co_await sleep_for(delay);
  co_return text;
}

Task<void> nothing_after(Clock::duration delay, bool* ran) {
  co_await sleep_for(delay);
  *ran = true;
}

/// An hour-long sleep that notes how it ended, and throws Cancelled if cancelled (as a recv
/// would).
Task<int> hour_then(std::vector<std::string>* log, std::string name) {
  const WaitStatus status = co_await sleep_for(std::chrono::hours(1));
  log->push_back(name + (status == WaitStatus::cancelled ? " cancelled" : " slept"));
  if (status == WaitStatus::cancelled) throw Cancelled(name);
  co_return 0;
}

Task<int> fail_after(Clock::duration delay) {
  co_await sleep_for(delay);
  throw std::runtime_error("failed");
}

TEST(WhenAll, GivesEveryValueInTheTasksOrder) {
  Scheduler scheduler;
  bool ran = false;
  auto parent = [](bool* ran_out) -> Task<std::string> {
    auto [number, nothing, text] = co_await when_all(
        value_after(3ms, 42), nothing_after(1ms, ran_out), text_after(2ms, std::string("text")));
    static_assert(std::is_same_v<decltype(nothing), std::monostate>);
    co_return std::to_string(number) + " " + text;
  };
  EXPECT_EQ(run_to_completion(scheduler, parent(&ran)), "42 text");
  EXPECT_TRUE(ran);
}

TEST(WhenAll, OverAVectorKeepsTheOrderOfTheTasksNotOfTheirEnds) {
  Scheduler scheduler;
  auto parent = []() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    tasks.push_back(value_after(3ms, 1));
    tasks.push_back(value_after(1ms, 2));
    tasks.push_back(value_after(2ms, 3));
    co_return co_await when_all(std::move(tasks));
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), (std::vector<int>{1, 2, 3}));
}

TEST(WhenAll, OfNoTasksIsEmptyAtOnce) {
  Scheduler scheduler;
  auto parent = []() -> Task<std::size_t> {
    std::vector<int> values = co_await when_all(std::vector<Task<int>>{});
    co_return values.size();
  };
  EXPECT_EQ(run_to_completion(scheduler, parent()), 0U);
}

TEST(WhenAll, TheFirstFailureCancelsTheRestAndIsRethrownAfterThem) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto parent = [](std::vector<std::string>* out) -> Task<std::string> {
    std::vector<Task<int>> tasks;
    tasks.push_back(hour_then(out, "a"));
    tasks.push_back(fail_after(1ms));
    tasks.push_back(hour_then(out, "b"));
    try {
      co_await when_all(std::move(tasks));
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "no failure";
  };
  const TimePoint started = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, parent(&log)), "failed");
  std::sort(log.begin(), log.end());  // cancelled in no particular order
  EXPECT_EQ(log, (std::vector<std::string>{"a cancelled", "b cancelled"}));
  EXPECT_LT(Clock::now() - started, 10s);
}

TEST(WhenAny, TheFirstToFinishWinsAndTheOthersEndBeforeItReturns) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto parent = [](std::vector<std::string>* out) -> Task<std::pair<std::size_t, int>> {
    auto winner =
        co_await when_any(hour_then(out, "slow"), value_after(1ms, 7), hour_then(out, "slower"));
    out->push_back("returned");
    co_return winner;
  };
  EXPECT_EQ(run_to_completion(scheduler, parent(&log)), (std::pair<std::size_t, int>{1, 7}));
  ASSERT_EQ(log.size(), 3U);
  std::sort(log.begin(), log.begin() + 2);  // the losers, cancelled in no particular order
  EXPECT_EQ(log, (std::vector<std::string>{"slow cancelled", "slower cancelled", "returned"}));
}

TEST(WhenAny, AWinnerThatFailedRethrows) {
  Scheduler scheduler;
  std::vector<std::string> log;
  auto parent = [](std::vector<std::string>* out) -> Task<std::string> {
    try {
      co_await when_any(hour_then(out, "slow"), fail_after(1ms));
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "no failure";
  };
  EXPECT_EQ(run_to_completion(scheduler, parent(&log)), "failed");
  EXPECT_EQ(log, (std::vector<std::string>{"slow cancelled"}));
}

TEST(WhenAny, OfNoTasksIsAnError) {
  Scheduler scheduler;
  auto parent = []() -> Task<void> { co_await when_any(std::vector<Task<int>>{}); };
  EXPECT_THROW(run_to_completion(scheduler, parent()), std::invalid_argument);
}

}  // namespace
}  // namespace tasknet
