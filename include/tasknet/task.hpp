// Task<T>: the coroutine type of tasknet. Lazy (it starts when awaited or spawned), move-only, and
// awaited by symmetric transfer, so chains of nested awaits of any depth use constant stack.
// An exception leaving the coroutine is stored in its promise and rethrown at the co_await.
#pragma once

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "tasknet/detail/promise_base.hpp"

namespace tasknet {

template <typename T = void>
class Task;

namespace detail {

/// Resumes whoever awaits the finished task (symmetric transfer: no stack growth), or, for a
/// detached task, gives the frame back to its scheduler.
struct TaskFinalAwaiter {
  [[nodiscard]] bool await_ready() const noexcept { return false; }

  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> finished) noexcept {
    Promise& promise = finished.promise();
    if (auto continuation = promise.continuation()) return continuation;
    if (promise.is_detached()) finish_detached_task(promise, finished, promise.take_exception());
    return std::noop_coroutine();
  }

  void await_resume() const noexcept {}
};

template <typename T>
class TaskPromiseCommon : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  TaskFinalAwaiter final_suspend() const noexcept { return {}; }
};

template <typename T>
class TaskPromise final : public TaskPromiseCommon<T> {
 public:
  using value_type = T;

  // (clang-tidy follows libstdc++'s variant into a throwing branch that cannot be taken here: the
  // variant holds monostate, so nothing is destroyed, and the constructor's noexcept is as
  // declared.)
  template <typename U>
  requires std::is_convertible_v<U&&, T>
  // NOLINTNEXTLINE(bugprone-exception-escape)
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(value));
  }
  // NOLINTNEXTLINE(bugprone-exception-escape)
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  std::exception_ptr take_exception() noexcept {
    return result_.index() == 2 ? std::get<2>(result_) : nullptr;
  }

  /// The value, moved out, or the stored exception rethrown.
  T take_result() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class TaskPromise<void> final : public TaskPromiseCommon<void> {
 public:
  using value_type = void;

  void return_void() const noexcept {}
  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  std::exception_ptr take_exception() noexcept { return std::exchange(error_, nullptr); }
  void take_result() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::exception_ptr error_;
};

}  // namespace detail

/// A lazily started coroutine producing a T (or nothing, for Task<void>).
///
/// `co_await task` starts it, suspends the awaiting coroutine until it finishes, then returns its
/// value or rethrows its exception. The task runs on the awaiting coroutine's scheduler.
/// A task can be awaited once; awaiting an empty or already awaited task throws std::logic_error.
/// Destroying a Task that has not finished destroys its frame, and with it everything the
/// coroutine holds (its locals and the tasks it awaits).
template <typename T>
class [[nodiscard]] Task {
  static_assert(!std::is_reference_v<T>,
                "Task<T&> is not supported: return a pointer or std::reference_wrapper");

 public:
  using value_type = T;
  using promise_type = detail::TaskPromise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(handle_type handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  /// Whether this Task owns a coroutine frame.
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(handle_); }
  /// Whether the coroutine has run to its end.
  [[nodiscard]] bool done() const noexcept { return handle_ && handle_.done(); }

  /// Gives up ownership of the frame (the scheduler takes it when the task is spawned).
  [[nodiscard]] handle_type release() noexcept { return std::exchange(handle_, nullptr); }

  class Awaiter {
   public:
    explicit Awaiter(handle_type task) noexcept : task_(task) {}

    [[nodiscard]] bool await_ready() const {
      if (!task_) throw std::logic_error("tasknet: awaiting an empty Task");
      if (task_.done()) throw std::logic_error("tasknet: a Task can be awaited only once");
      return false;
    }

    /// The awaiting coroutine becomes the task's continuation, and the task starts at once on
    /// the same scheduler and under the same cancellation, by symmetric transfer.
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
      task_.promise().set_continuation(awaiting);
      if constexpr (std::is_base_of_v<detail::PromiseBase, Promise>) {
        task_.promise().set_scheduler(awaiting.promise().scheduler());
        task_.promise().set_cancellation(awaiting.promise().cancellation());
      }
      return task_;
    }

    T await_resume() { return task_.promise().take_result(); }

   private:
    handle_type task_;
  };

  Awaiter operator co_await() const& noexcept { return Awaiter{handle_}; }
  Awaiter operator co_await() const&& noexcept { return Awaiter{handle_}; }

 private:
  void destroy() noexcept {
    if (handle_) handle_.destroy();
  }

  handle_type handle_;
};

namespace detail {
template <typename T>
Task<T> TaskPromiseCommon<T>::get_return_object() noexcept {
  return Task<T>{
      std::coroutine_handle<TaskPromise<T>>::from_promise(static_cast<TaskPromise<T>&>(*this))};
}
}  // namespace detail

}  // namespace tasknet
