// SignalSet on every backend: a wait gives the number of the signal that arrives, a deadline or a
// stop ends it (so a program whose work is done can leave run()), and destroying the set while a
// task waits on it ends that wait cleanly (run under valgrind too: see tests/CMakeLists.txt).
#include <pthread.h>

#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <system_error>

#include "backends.hpp"
#include "run_task.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/signal_set.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::run_to_completion;

class SignalSetWait : public ::testing::TestWithParam<Backend> {
 protected:
  Scheduler scheduler{{.backend = GetParam()}};
};

/// How a wait ended: the signal's number, or the error code it threw.
struct Outcome {
  int signal = 0;
  std::error_code error;
};

Task<Outcome> outcome_of(Task<int> wait) {
  Outcome outcome;
  try {
    outcome.signal = co_await std::move(wait);
  } catch (const std::system_error& error) {
    outcome.error = error.code();
  }
  co_return outcome;
}

Task<void> raise_after(int signal, Clock::duration delay) {
  co_await sleep_for(delay);
  EXPECT_EQ(::pthread_kill(::pthread_self(), signal), 0);  // blocked: it goes to the signalfd
}

TEST_P(SignalSetWait, GivesTheNumberOfTheSignalThatArrives) {
  SignalSet signals{SIGUSR1, SIGUSR2};
  scheduler.spawn(raise_after(SIGUSR2, 5ms));
  const Outcome outcome = run_to_completion(scheduler, outcome_of(signals.wait()));
  EXPECT_EQ(outcome.signal, SIGUSR2);
  EXPECT_FALSE(outcome.error);
}

TEST_P(SignalSetWait, ADeadlineEndsTheWaitWithTimedOut) {
  SignalSet signals{SIGUSR1};
  const TimePoint start = Clock::now();
  const Outcome outcome =
      run_to_completion(scheduler, outcome_of(signals.wait({.deadline = after(10ms)})));
  EXPECT_EQ(outcome.error, std::errc::timed_out);
  EXPECT_GE(Clock::now() - start, 10ms);
}

TEST_P(SignalSetWait, AStopEndsTheWaitSoRunReturnsOnceTheWorkIsDone) {
  // The shape of a program that waits for SIGINT beside its work: when the work is done it stops
  // the signal wait, and run() returns because no task is left.
  SignalSet signals{SIGINT};
  std::stop_source done;
  Outcome outcome;
  auto watch_signals = [](SignalSet* set, std::stop_token stop, Outcome* out) -> Task<void> {
    *out = co_await outcome_of(set->wait({.stop = stop}));
  };
  auto work = [](std::stop_source* finished) -> Task<void> {
    co_await sleep_for(5ms);
    finished->request_stop();
  };
  scheduler.spawn(watch_signals(&signals, done.get_token(), &outcome));
  scheduler.spawn(work(&done));
  scheduler.run();
  EXPECT_EQ(scheduler.task_count(), 0U);
  EXPECT_EQ(outcome.error, std::errc::operation_canceled);
}

TEST_P(SignalSetWait, ASignalAlreadyThereIsGivenEvenWithATokenAlreadyStopped) {
  SignalSet signals{SIGUSR1};
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGUSR1), 0);
  std::stop_source stopped;
  stopped.request_stop();
  const std::stop_token token = stopped.get_token();
  EXPECT_EQ(run_to_completion(scheduler, outcome_of(signals.wait({.stop = token}))).signal,
            SIGUSR1);
  // With nothing there, the stopped token ends the next wait at once.
  EXPECT_EQ(run_to_completion(scheduler, outcome_of(signals.wait({.stop = token}))).error,
            std::errc::operation_canceled);
}

TEST_P(SignalSetWait, ASecondTaskWaitingOnTheSetIsALogicError) {
  SignalSet signals{SIGUSR1};
  auto second = [](SignalSet* set) -> Task<void> {
    co_await yield_now();  // the first has parked
    EXPECT_THROW(co_await set->wait(), std::logic_error);
  };
  scheduler.spawn(second(&signals));
  EXPECT_EQ(run_to_completion(scheduler, outcome_of(signals.wait({.deadline = after(10ms)}))).error,
            std::errc::timed_out);
}

TEST_P(SignalSetWait, DestroyingTheSetWhileATaskWaitsEndsTheWaitCancelled) {
  // On the heap, so that valgrind and ASan see a read of the destroyed set.
  auto signals = std::make_unique<SignalSet>(std::initializer_list<int>{SIGUSR1});
  auto destroy_soon = [](std::unique_ptr<SignalSet>* set) -> Task<void> {
    co_await yield_now();  // the waiter has parked on the set's descriptor
    co_await yield_now();
    set->reset();
  };
  scheduler.spawn(destroy_soon(&signals));
  const Outcome outcome = run_to_completion(scheduler, outcome_of(signals->wait()));
  EXPECT_EQ(outcome.error, std::errc::operation_canceled);
  EXPECT_EQ(outcome.signal, 0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, SignalSetWait, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
