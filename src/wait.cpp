// Plain readiness waits: the seed's `yield 'recv', sock` and `yield 'send', sock`.
#include "tasknet/wait.hpp"

#include "tasknet/file_descriptor.hpp"

namespace tasknet {

ReadinessWait::ReadinessWait(int descriptor, Direction way, const WaitOptions& options,
                             FileDescriptor* owner) noexcept
    : WaitOperation(descriptor, way, options, nullptr, owner != nullptr), owner_(owner) {}

Scheduler& ReadinessWait::attach(Scheduler& scheduler) {
  return owner_ != nullptr ? owner_->attach(scheduler) : scheduler;
}

}  // namespace tasknet
