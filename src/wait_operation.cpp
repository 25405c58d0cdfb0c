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
  on_stop_->~StopCallbacks();  // deregisters: a later request_stop no longer reaches this wait
  SchedulerAccess::stop_blocks(*scheduler_).give_back(on_stop_, sizeof(StopCallbacks));
  on_stop_ = nullptr;
}

bool WaitOperation::start_under(Scheduler& scheduler, std::coroutine_handle<> awaiting,
                                const std::stop_token* cancellation) {
  scheduler_ = &scheduler;
  task = awaiting;
  status = WaitStatus::ready;
  const bool cancellable = cancellation != nullptr && cancellation->stop_possible();
  if (stop_.stop_requested() || (cancellable && cancellation->stop_requested())) {
    status = WaitStatus::cancelled;  // stopped already: the wait ends before it begins
    return false;
  }
  if (!SchedulerAccess::wait(scheduler, *this)) return false;  // finished at once
  if (stop_.stop_possible() || cancellable) {
    void* block = nullptr;
    try {
      block = SchedulerAccess::stop_blocks(scheduler).take(sizeof(StopCallbacks));
    } catch (...) {
      SchedulerAccess::abandon(scheduler, *this);
      throw;
    }
    on_stop_ = new (block) StopCallbacks{};
    // Each runs at once if stop was requested meanwhile (by another thread).
    if (stop_.stop_possible()) on_stop_->own.emplace(stop_, CancelOnStop{this});
    if (cancellable) on_stop_->cancellation.emplace(*cancellation, CancelOnStop{this});
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
