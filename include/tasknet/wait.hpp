// The seed's yields as awaitables: wait until a descriptor is readable (`yield 'recv', sock`) or
// writable (`yield 'send', sock`), give the other ready tasks a turn (part (a)'s plain `yield`),
// and find the scheduler the task runs on.
#pragma once

#include <coroutine>

#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/wait_operation.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

class FileDescriptor;

/// Awaitable: suspends the task in the readable or writable waiting area of a descriptor until
/// the backend reports it ready, the deadline passes or stop is requested; returns how it ended.
/// Reading or writing the descriptor yourself afterwards (the seed's pattern) is fine: the next
/// wait asks the backend again rather than trusting what it reported before.
/// At most one task may wait on a descriptor in each direction: a second one's co_await throws
/// std::logic_error.
class [[nodiscard]] ReadinessWait : public detail::WaitOperation {
 public:
  ReadinessWait(int descriptor, Direction way, const WaitOptions& options,
                FileDescriptor* owner = nullptr) noexcept;

  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    return start(attach(detail::scheduler_of(awaiting)), awaiting);
  }

  WaitStatus await_resume() const noexcept { return status; }

 private:
  Scheduler& attach(Scheduler& scheduler);

  FileDescriptor* owner_;
};

/// Waits until `fd` is readable. For a descriptor you own elsewhere: it must stay open until the
/// wait ends. Prefer FileDescriptor::readable() or Socket's operations, which also close safely.
[[nodiscard]] inline ReadinessWait readable(int fd,
                                            const WaitOptions& options = no_limits) noexcept {
  return ReadinessWait{fd, Direction::readable, options};
}

/// Waits until `fd` is writable. Same rules as readable().
[[nodiscard]] inline ReadinessWait writable(int fd,
                                            const WaitOptions& options = no_limits) noexcept {
  return ReadinessWait{fd, Direction::writable, options};
}

namespace detail {
class YieldAwaiter {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  /// The task goes to the back of the ready queue.
  template <typename Promise>
  void await_suspend(std::coroutine_handle<Promise> awaiting) {
    detail::SchedulerAccess::make_ready(detail::scheduler_of(awaiting), awaiting);
  }
  void await_resume() const noexcept {}
};

class ThisSchedulerAwaiter {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  /// Never suspends: it only reads the scheduler from the awaiting task's promise.
  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    scheduler_ = &detail::scheduler_of(awaiting);
    return false;
  }
  [[nodiscard]] Scheduler& await_resume() const noexcept { return *scheduler_; }

 private:
  Scheduler* scheduler_ = nullptr;
};
}  // namespace detail

/// Gives every other ready task a turn: the task moves to the back of the ready queue.
[[nodiscard]] inline detail::YieldAwaiter yield_now() noexcept {
  return {};
}

/// `Scheduler& scheduler = co_await this_scheduler();` without suspending.
[[nodiscard]] inline detail::ThisSchedulerAwaiter this_scheduler() noexcept {
  return {};
}

}  // namespace tasknet
