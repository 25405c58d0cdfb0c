// Sleeping: the scheduler's waiting area for deadlines, as awaitables.
#pragma once

#include <coroutine>

#include "tasknet/clock.hpp"
#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

/// Awaitable: suspends the task until `wake_at`. Returns WaitStatus::ready when the time came, and
/// as every wait does, WaitStatus::cancelled when stopped and WaitStatus::timed_out when the
/// options' deadline comes first. Tasks sleeping until the same instant wake in the order they
/// went to sleep.
class [[nodiscard]] SleepOperation : public detail::WaitOperation {
 public:
  SleepOperation(TimePoint wake_at, const WaitOptions& options) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(detail::scheduler_of(awaiting), awaiting);
  }

  WaitStatus await_resume() const noexcept {
    return status == WaitStatus::timed_out && !cut_short_ ? WaitStatus::ready : status;
  }

 private:
  bool cut_short_;  // the options' deadline comes before wake_at
};

/// Sleeps until `wake_at`. A time in the past still gives other ready tasks their turn first.
[[nodiscard]] inline SleepOperation sleep_until(TimePoint wake_at,
                                                const WaitOptions& options = no_limits) {
  return SleepOperation{wake_at, options};
}

/// Sleeps for `duration` (rounded up to the backend's resolution, never down).
[[nodiscard]] inline SleepOperation sleep_for(Clock::duration duration,
                                              const WaitOptions& options = no_limits) {
  return SleepOperation{Clock::now() + duration, options};
}

}  // namespace tasknet
