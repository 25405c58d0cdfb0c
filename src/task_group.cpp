// TaskGroup's shared state: counting children, keeping the first failure, waking the join.
#include "tasknet/task_group.hpp"

#include "tasknet/wait_options.hpp"

namespace tasknet {
namespace detail {

namespace {

bool is_cancellation(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const Cancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

GroupState::GroupState(Scheduler& scheduler, const std::stop_token* outer)
    : scheduler_(&scheduler), token_(stop_.get_token()) {
  if (outer != nullptr && outer->stop_possible()) {
    outer_ = *outer;
    outer_link_.emplace(outer_, RequestStop{&stop_});  // at once if it is stopped already
  }
}

void GroupState::child_failed(std::exception_ptr error) noexcept {
  if (stop_.stop_requested() && is_cancellation(error)) return;  // what the group asked for
  if (!first_error_ && !orphaned_) {
    first_error_ = std::move(error);
    stop_.request_stop();  // the siblings' waits end now
    return;
  }
  SchedulerAccess::report(*scheduler_, std::move(error));
}

void GroupState::child_finished() noexcept {
  if (--running_ != 0) return;
  if (orphaned_) {
    delete this;
    return;
  }
  if (joiner_) SchedulerAccess::make_ready(*scheduler_, std::exchange(joiner_, nullptr));
}

void GroupState::end_join() {
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
  if (outer_.stop_requested()) throw Cancelled("task group");
}

bool GroupState::orphan() noexcept {
  if (first_error_) SchedulerAccess::report(*scheduler_, std::exchange(first_error_, nullptr));
  if (running_ == 0) return true;
  orphaned_ = true;
  stop_.request_stop();
  return false;
}

TaskGroup OpenGroup::await_resume() const {
  return TaskGroup(new GroupState(*scheduler_, outer_));
}

}  // namespace detail

TaskGroup::~TaskGroup() {
  if (state_ != nullptr && state_->orphan()) delete state_;
}

}  // namespace tasknet
