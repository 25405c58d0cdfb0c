// with_timeout and with_deadline: any task under a deadline. At the deadline the task is
// cancelled (every wait of its ends), awaited to its end, and the timeout reported by the one
// rule (wait_options.hpp): TimedOut.
#pragma once

#include <coroutine>
#include <optional>
#include <stop_token>
#include <utility>

#include "tasknet/clock.hpp"
#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/waiter.hpp"
#include "tasknet/task.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {
namespace detail {

/// A cancellation with a deadline, inside the cancellation of the task that enters it: the
/// token that the task it guards runs under, requested at the deadline (by a timer in the
/// scheduler's heap, no task of its own) or when the outer cancellation is.
class CancelScope {
 public:
  explicit CancelScope(TimePoint deadline) noexcept;
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;
  ~CancelScope();

  /// `co_await scope.enter()`: arms the deadline on the awaiting task's scheduler, links to its
  /// cancellation, and makes the scope's token that task's cancellation from here on.
  class Enter {
   public:
    explicit Enter(CancelScope& scope) noexcept : scope_(&scope) {}
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <typename Promise>
    bool await_suspend(std::coroutine_handle<Promise> awaiting) {
      scope_->arm(scheduler_of(awaiting), awaiting.promise().cancellation());
      awaiting.promise().set_cancellation(&scope_->token_);
      return false;
    }
    void await_resume() const noexcept {}

   private:
    CancelScope* scope_;
  };
  [[nodiscard]] Enter enter() noexcept { return Enter(*this); }

  /// Whether the deadline passed (and cancelled the scope).
  [[nodiscard]] bool expired() const noexcept { return expired_; }

 private:
  struct RequestStop {
    std::stop_source* source;
    void operator()() const noexcept { source->request_stop(); }
  };
  struct Timer : Waiter {
    CancelScope* scope;
  };
  static void on_deadline(Waiter& timer) noexcept;
  static const Operation timer_operation;

  void arm(Scheduler& scheduler, const std::stop_token* outer);

  Timer timer_;  // in the scheduler's timer heap while armed
  Scheduler* scheduler_ = nullptr;
  std::stop_source stop_;
  std::stop_token token_;
  std::optional<std::stop_callback<RequestStop>> outer_link_;
  bool expired_ = false;
};

}  // namespace detail

/// Runs `task` until `deadline`. If the deadline passes first, the task is cancelled: its
/// pending wait ends (Cancelled thrown, or WaitStatus::cancelled), and so does every later one;
/// once it has ended, with_deadline throws TimedOut ("with_deadline: deadline passed"). A task
/// that finishes anyway, having caught its cancellation, gives its value. Nested deadlines
/// compose: the earlier one ends the task, and each reports its own (an outer deadline shows
/// through an inner with_deadline as Cancelled, turned into TimedOut by the outer one).
template <typename T>
Task<T> with_deadline(TimePoint deadline, Task<T> task) {
  detail::CancelScope scope(deadline);
  co_await scope.enter();
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      co_return;
    } else {
      T value = co_await std::move(task);
      co_return value;
    }
  } catch (const Cancelled&) {
    if (!scope.expired()) throw;  // cancelled from outside, not by this deadline
  }
  throw TimedOut("with_deadline");
}

/// with_deadline(after(duration), task): the time counts from this call.
template <typename T>
Task<T> with_timeout(Clock::duration duration, Task<T> task) {
  return with_deadline(after(duration), std::move(task));
}

}  // namespace tasknet
