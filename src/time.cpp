// Sleeping: a wait on a deadline alone.
#include "tasknet/time.hpp"

namespace tasknet {

SleepOperation::SleepOperation(TimePoint wake_at, const std::stop_token& stop) noexcept
    : WaitOperation(-1, Direction::readable, WaitOptions{.deadline = wake_at, .stop = stop},
                    nullptr, false) {}

}  // namespace tasknet
