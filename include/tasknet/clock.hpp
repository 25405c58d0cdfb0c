// The clock every deadline in tasknet is measured on.
#pragma once

#include <chrono>

namespace tasknet {

/// Monotonic: deadlines are unaffected by changes to the wall clock.
using Clock = std::chrono::steady_clock;

/// A point in time on `Clock`, used for deadlines of waits.
using TimePoint = Clock::time_point;

/// A number of seconds, as command lines give them ("2.5"), as a Clock::duration.
inline Clock::duration from_seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

/// The deadline `duration` from now: `{.deadline = tasknet::after(5s)}`.
inline TimePoint after(Clock::duration duration) {
  return Clock::now() + duration;
}

}  // namespace tasknet
