// Parking and unparking tasks for every awaitable that waits: readiness waits, sleeps and the
// socket operations.
#include "tasknet/detail/wait_operation.hpp"

#include <new>
#include <system_error>

#include "tasknet/file_descriptor.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace detail {

void WaitOperation::leave() noexcept {
  scheduler_->abandon(*this);  // with an operation in flight, waits until the kernel lets go
}

bool WaitOperation::submits_operations(const Scheduler& scheduler) noexcept {
  return scheduler.completion_based();
}

std::optional<std::uint16_t> WaitOperation::provided_buffer_group(Scheduler& scheduler,
                                                                  BufferPool& pool) noexcept {
  return scheduler.poller_->buffer_group(pool);
}

void WaitOperation::drop_stop_callback() noexcept {
  on_stop_->~StopCallback();  // deregisters: a later request_stop no longer reaches this wait
  scheduler_->give_back_block(on_stop_);
  on_stop_ = nullptr;
}

bool WaitOperation::start(Scheduler& scheduler, std::coroutine_handle<> awaiting) {
  scheduler_ = &scheduler;
  task = awaiting;
  if (stop_.stop_requested()) {  // stopped already: the wait ends before it begins
    status = WaitStatus::cancelled;
    return false;
  }
  Readiness known = Readiness::unknown;
  if (fd >= 0 && (operation != nullptr || trust_readiness)) {
    known = scheduler.readiness(fd, direction);
    // A completion backend performs the operation itself once it is submitted (by park), unless
    // the last completion suggests the next is there already (accept's backlog).
    const bool try_now =
        operation != nullptr && (!scheduler.completion_based() ||
                                 (operation->try_after_completion && known == Readiness::ready));
    if (operation == nullptr) {
      // Reported, and not drained since (or closed for good): no need to wait.
      if (known == Readiness::ready || known == Readiness::closed) return false;
    } else if (try_now && known != Readiness::not_ready) {
      if (operation->attempt(*this) == Attempt::done) return false;  // no need to wait at all
      scheduler.mark_not_ready(fd, direction);
      known = scheduler.readiness(fd, direction);
    }
  }
  scheduler.park(*this, known == Readiness::not_ready ? LastSeen::would_block : LastSeen::unknown);
  if (stop_.stop_possible()) {
    void* block = nullptr;
    try {
      block = scheduler.take_block(sizeof(StopCallback));
    } catch (...) {
      scheduler.abandon(*this);
      throw;
    }
    on_stop_ = new (block) StopCallback(stop_, CancelOnStop{this});
  }
  return true;
}

void WaitOperation::throw_interrupted(const char* what) const {
  throw std::system_error(
      std::make_error_code(status == WaitStatus::timed_out ? std::errc::timed_out
                                                           : std::errc::operation_canceled),
      what);
}

void WaitOperation::mark_not_ready() const noexcept {
  scheduler_->mark_not_ready(fd, direction);
}

void WaitOperation::CancelOnStop::operator()() const noexcept {
  operation->scheduler_->cancel(*operation);
}

}  // namespace detail

ReadinessWait::ReadinessWait(int descriptor, Direction way, const WaitOptions& options,
                             FileDescriptor* owner) noexcept
    : WaitOperation(descriptor, way, options, nullptr, owner != nullptr), owner_(owner) {}

Scheduler& ReadinessWait::attach(Scheduler& scheduler) {
  return owner_ != nullptr ? owner_->attach(scheduler) : scheduler;
}

SleepOperation::SleepOperation(TimePoint wake_at, const std::stop_token& stop) noexcept
    : WaitOperation(-1, Direction::readable, WaitOptions{.deadline = wake_at, .stop = stop},
                    nullptr, false) {}

}  // namespace tasknet
