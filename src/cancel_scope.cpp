// A cancellation with a deadline: its timer, and its link to the cancellation around it.
#include "tasknet/scheduler.hpp"
#include "tasknet/timeout.hpp"

namespace tasknet::detail {

const Operation CancelScope::timer_operation{.expired = &CancelScope::on_deadline};

CancelScope::CancelScope(TimePoint deadline) noexcept : token_(stop_.get_token()) {
  timer_.has_deadline = true;
  timer_.deadline = deadline;
  timer_.operation = &timer_operation;
  timer_.scope = this;
}

CancelScope::~CancelScope() {
  if (timer_.state != WaitState::idle) SchedulerAccess::abandon(*scheduler_, timer_);
}

void CancelScope::arm(Scheduler& scheduler, const std::stop_token* outer) {
  scheduler_ = &scheduler;
  if (outer != nullptr && outer->stop_possible()) {
    outer_link_.emplace(*outer, RequestStop{&stop_});  // at once if it is stopped already
  }
  if (timer_.deadline <= Clock::now()) {  // already due: the task starts cancelled
    expired_ = true;
    stop_.request_stop();
    return;
  }
  SchedulerAccess::wait(scheduler, timer_);  // parks the timer in the heap
}

void CancelScope::on_deadline(Waiter& timer) noexcept {
  CancelScope& scope = *static_cast<Timer&>(timer).scope;
  scope.expired_ = true;
  scope.stop_.request_stop();
}

}  // namespace tasknet::detail
