// Sleeping: a wait on a deadline alone.
#include "tasknet/time.hpp"

#include <algorithm>

namespace tasknet {

SleepOperation::SleepOperation(TimePoint wake_at, const WaitOptions& options) noexcept
    : WaitOperation(
          -1, Direction::readable,
          WaitOptions{.deadline = options.deadline ? std::min(wake_at, *options.deadline) : wake_at,
                      .stop = options.stop},
          nullptr, false),
      cut_short_(options.deadline && *options.deadline < wake_at) {}

}  // namespace tasknet
