// Reading and setting the cancellation a task runs under (PromiseBase::cancellation), as
// awaitables that never suspend: what task groups and timeouts are built from.
#pragma once

#include <coroutine>
#include <stop_token>
#include <type_traits>

#include "tasknet/detail/promise_base.hpp"

namespace tasknet::detail {

/// `co_await RunUnder{&token}`: from here on, the task's waits, and the tasks it awaits, also
/// answer `token`, which must outlive the task.
struct RunUnder {
  const std::stop_token* token;

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) const noexcept {
    static_assert(std::is_base_of_v<PromiseBase, Promise>, "only inside a tasknet::Task");
    awaiting.promise().set_cancellation(token);
    return false;
  }
  void await_resume() const noexcept {}
};

/// `co_await CurrentCancellation{}`: the token the task runs under, or null.
class CurrentCancellation {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
    static_assert(std::is_base_of_v<PromiseBase, Promise>, "only inside a tasknet::Task");
    token_ = awaiting.promise().cancellation();
    return false;
  }
  [[nodiscard]] const std::stop_token* await_resume() const noexcept { return token_; }

 private:
  const std::stop_token* token_ = nullptr;
};

}  // namespace tasknet::detail
