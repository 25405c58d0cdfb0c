// Parking and unparking tasks for every awaitable that waits: readiness waits, sleeps and the
// socket operations.
#include "tasknet/detail/wait_operation.hpp"

#include <new>
#include <system_error>

#include "tasknet/scheduler.hpp"

namespace tasknet::detail {

void WaitOperation::leave() noexcept {
  // With an operation in the kernel's hands, waits until the kernel lets go.
  SchedulerAccess::abandon(*scheduler_, *this);
}

void WaitOperation::drop_stop_callback() noexcept {
  on_stop_->~StopCallback();  // deregisters: a later request_stop no longer reaches this wait
  SchedulerAccess::stop_blocks(*scheduler_).give_back(on_stop_, sizeof(StopCallback));
  on_stop_ = nullptr;
}

bool WaitOperation::start(Scheduler& scheduler, std::coroutine_handle<> awaiting) {
  scheduler_ = &scheduler;
  task = awaiting;
  status = WaitStatus::ready;
  if (stop_.stop_requested()) {  // stopped already: the wait ends before it begins
    status = WaitStatus::cancelled;
    return false;
  }
  if (!SchedulerAccess::wait(scheduler, *this)) return false;  // finished at once
  if (stop_.stop_possible()) {
    void* block = nullptr;
    try {
      block = SchedulerAccess::stop_blocks(scheduler).take(sizeof(StopCallback));
    } catch (...) {
      SchedulerAccess::abandon(scheduler, *this);
      throw;
    }
    // Runs the callback at once if stop was requested meanwhile (by another thread).
    on_stop_ = new (block) StopCallback(stop_, CancelOnStop{this});
  }
  return true;
}

void WaitOperation::throw_interrupted(const char* what) const {
  if (status == WaitStatus::timed_out) throw TimedOut(what);
  throw Cancelled(what);
}

void WaitOperation::CancelOnStop::operator()() const noexcept {
  WaitOperation& wait = *operation;
  if (wait.state == WaitState::parked || wait.state == WaitState::attempt_queued) {
    SchedulerAccess::interrupt(*wait.scheduler_, wait, WaitStatus::cancelled);
  }
}

}  // namespace tasknet::detail
