// The clock every deadline in tasknet is measured on.
#pragma once

#include <chrono>

namespace tasknet {

/// Monotonic: deadlines are unaffected by changes to the wall clock.
using Clock = std::chrono::steady_clock;

/// A point in time on `Clock`, used for deadlines of waits.
using TimePoint = Clock::time_point;

/// The deadline `duration` from now: `{.deadline = tasknet::after(5s)}`.
inline TimePoint after(Clock::duration duration) {
  return Clock::now() + duration;
}

}  // namespace tasknet
