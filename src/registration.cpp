// The ties between owned descriptors and the scheduler they wait on.
#include "tasknet/detail/registration.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "tasknet/scheduler.hpp"

namespace tasknet::detail {

Scheduler& Registration::bind_first_time(Scheduler& scheduler, int fd) {
  if (scheduler_ != nullptr) {
    throw std::logic_error("tasknet: fd " + std::to_string(fd) +
                           " is bound to another scheduler; a descriptor belongs to one");
  }
  SchedulerAccess::descriptors(scheduler).enroll(fd, *this);
  scheduler_ = &scheduler;
  return scheduler;
}

void Registration::take_over(Registration& other, int fd) noexcept {
  scheduler_ = std::exchange(other.scheduler_, nullptr);
  // The registry has this descriptor's entry already (it was bound): no growth.
  if (scheduler_ != nullptr) SchedulerAccess::descriptors(*scheduler_).follow(fd, *this);
}

void Registration::unbind(int fd) noexcept {
  if (scheduler_ == nullptr) return;
  SchedulerAccess::driver(*scheduler_).forget(fd);
  SchedulerAccess::descriptors(*scheduler_).withdraw(fd);
  scheduler_ = nullptr;
}

}  // namespace tasknet::detail
