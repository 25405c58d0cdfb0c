// What a readiness backend answers when asked to act as a completion backend: the scheduler never
// asks (it checks completion_based() once), so reaching these is a bug in the caller.
#include "tasknet/poller.hpp"

#include <stdexcept>
#include <string>

namespace tasknet {

void Poller::submit(detail::Waiter& /*waiter*/) {
  throw std::logic_error("tasknet: submit() on the readiness backend " + std::string(name()));
}

std::span<const Completion> Poller::complete(std::optional<std::chrono::nanoseconds> /*timeout*/) {
  throw std::logic_error("tasknet: complete() on the readiness backend " + std::string(name()));
}

}  // namespace tasknet
