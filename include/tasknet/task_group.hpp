// TaskGroup: tasks spawned together and joined together, as trio's nursery and asyncio's
// TaskGroup are. The first failure cancels the rest, and is rethrown at the join once every child
// has finished.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

#include "tasknet/detail/cancellation.hpp"
#include "tasknet/detail/promise_base.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/task.hpp"

namespace tasknet {

template <typename T>
class JoinHandle;
class TaskGroup;

namespace detail {

/// What a group and its children share. It outlives a TaskGroup left without join(): the
/// children, cancelled then, free it as the last of them finishes.
class GroupState {
 public:
  /// `outer`: the cancellation of the task that opened the group, which cancels the group too.
  GroupState(Scheduler& scheduler, const std::stop_token* outer);
  GroupState(const GroupState&) = delete;
  GroupState& operator=(const GroupState&) = delete;

  [[nodiscard]] Scheduler& scheduler() const noexcept { return *scheduler_; }
  /// What the children's waits answer.
  [[nodiscard]] const std::stop_token* token() const noexcept { return &token_; }
  [[nodiscard]] std::size_t running() const noexcept { return running_; }

  void cancel() noexcept { stop_.request_stop(); }
  void child_started() noexcept { ++running_; }
  /// A child's exception. The first cancels its siblings and waits for join(); a Cancelled that
  /// the group's own cancellation caused is what was asked for; any other is reported to the
  /// scheduler's error handler, so that none is lost.
  void child_failed(std::exception_ptr error) noexcept;
  /// The last thing of a child, however it ends (also a frame destroyed unfinished, when its
  /// scheduler goes). The last child resumes the joining task, or frees an orphaned state.
  void child_finished() noexcept;

  void set_joiner(std::coroutine_handle<> joiner) noexcept { joiner_ = joiner; }
  /// After every child finished: rethrows the first failure; throws Cancelled when the group
  /// was cancelled by the cancellation of the task that opened it.
  void end_join();
  /// The TaskGroup is going: with children running, cancels them and lets them free the state.
  /// Returns whether the caller must delete it now (no child is left).
  [[nodiscard]] bool orphan() noexcept;

 private:
  struct RequestStop {
    std::stop_source* source;
    void operator()() const noexcept { source->request_stop(); }
  };

  Scheduler* scheduler_;
  std::stop_source stop_;
  std::stop_token token_;
  std::stop_token outer_;
  std::optional<std::stop_callback<RequestStop>> outer_link_;
  std::size_t running_ = 0;
  std::coroutine_handle<> joiner_;
  std::exception_ptr first_error_;
  bool orphaned_ = false;
};

/// A child's place in its group's count, held as a parameter of the child's coroutine: it comes
/// and goes with the frame, so that a child destroyed before it ever ran is counted out too.
class ChildTicket {
 public:
  explicit ChildTicket(GroupState& state) noexcept : state_(&state) { state.child_started(); }
  ChildTicket(ChildTicket&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  ChildTicket& operator=(ChildTicket&&) = delete;
  ~ChildTicket() {
    if (state_ != nullptr) state_->child_finished();
  }
  [[nodiscard]] GroupState& state() const noexcept { return *state_; }

 private:
  GroupState* state_;
};

template <typename T>
struct IsTask : std::false_type {};
template <typename T>
struct IsTask<Task<T>> : std::true_type {};

/// Where a joinable child leaves its value or its exception.
template <typename T>
struct ChildResult {
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  std::variant<std::monostate, Stored, std::exception_ptr> outcome;  // index 0: not finished
};

/// A child's task: `f` itself when it is a Task already, else what `f(args...)` returns.
template <typename F, typename... Args>
auto make_child_task(F&& f, Args&&... args) {
  if constexpr (IsTask<std::remove_cvref_t<F>>::value) {
    return std::forward<F>(f);
  } else {
    return std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
  }
}

/// A child: the callable and its arguments live in this frame, so a lambda coroutine's captures
/// outlive the task it returns.
template <typename T, typename F, typename... Args>
Task<void> group_child(ChildTicket ticket, std::shared_ptr<ChildResult<T>> result, F f,
                       Args... args) {
  GroupState& state = ticket.state();
  co_await RunUnder{state.token()};
  try {
    Task<T> task = make_child_task(std::move(f), std::move(args)...);
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      if (result) result->outcome.template emplace<1>();
    } else {
      T value = co_await std::move(task);
      if (result) result->outcome.template emplace<1>(std::move(value));
    }
  } catch (...) {
    if (result) result->outcome.template emplace<2>(std::current_exception());
    state.child_failed(std::current_exception());
  }
}

/// The result type of the child's task: of `f` itself when it is a Task, else of `f(args...)`.
template <typename F, typename... Args>
using TaskValue =
    typename decltype(make_child_task(std::declval<F>(), std::declval<Args>()...))::value_type;

class GroupJoin {
 public:
  explicit GroupJoin(GroupState& state) noexcept : state_(&state) {}
  GroupJoin(const GroupJoin&) = delete;
  GroupJoin& operator=(const GroupJoin&) = delete;
  ~GroupJoin() {
    if (waiting_) state_->set_joiner(nullptr);  // the joining frame is going first
  }

  [[nodiscard]] bool await_ready() const noexcept { return state_->running() == 0; }
  void await_suspend(std::coroutine_handle<> joiner) noexcept {
    state_->set_joiner(joiner);
    waiting_ = true;
  }
  void await_resume() {
    waiting_ = false;
    state_->end_join();
  }

 private:
  GroupState* state_;
  bool waiting_ = false;
};

class OpenGroup {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  template <typename Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) {
    scheduler_ = &scheduler_of(awaiting);
    outer_ = awaiting.promise().cancellation();
    return false;
  }
  [[nodiscard]] TaskGroup await_resume() const;

 private:
  Scheduler* scheduler_ = nullptr;
  const std::stop_token* outer_ = nullptr;
};

}  // namespace detail

/// A child's value, once it has finished: from TaskGroup::spawn_joinable.
template <typename T>
class JoinHandle {
 public:
  /// Whether the child has finished, with a value or an exception.
  [[nodiscard]] bool done() const noexcept { return result_->outcome.index() != 0; }
  /// The child's value (after join(), or once done()), or its exception rethrown. Throws
  /// std::logic_error while the child is still running.
  T get() {
    if (result_->outcome.index() == 0) {
      throw std::logic_error("tasknet: JoinHandle::get() before the task finished");
    }
    if (result_->outcome.index() == 2) std::rethrow_exception(std::get<2>(result_->outcome));
    if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(result_->outcome));
  }

 private:
  friend class TaskGroup;
  explicit JoinHandle(std::shared_ptr<detail::ChildResult<T>> result) noexcept
      : result_(std::move(result)) {}
  std::shared_ptr<detail::ChildResult<T>> result_;
};

/// Tasks spawned together and joined together, on the scheduler of the task that opened the
/// group, and under its cancellation:
///
///     TaskGroup group = co_await task_group();
///     group.spawn(copy, std::ref(from), std::ref(to));
///     group.spawn(copy, std::ref(to), std::ref(from));
///     co_await group.join();
///
/// - Children start at their turn in the ready queue, and every wait of theirs also answers the
///   group's cancellation: cancel(), the first child to fail, or the cancellation of the task
///   that opened the group (its own group's, or a timeout's).
/// - join() waits until every child has finished, then rethrows the first child's exception, or
///   throws Cancelled if the opening task's cancellation stopped the group. Exceptions after the
///   first go to the scheduler's error handler; a child's Cancelled that the group's cancellation
///   caused is not an error.
/// - spawn(f, args...) moves the callable and its arguments into the child's frame, so a
///   capturing lambda coroutine (`spawn([&] () -> Task<void> {...})`) is safe: the lambda lives
///   as long as its task. (`scheduler.spawn(lambda())` calls the lambda first, and its
///   captures die with the temporary: spawn the callable, not its call.)
/// - Leaving the group's scope without join() (an exception, an early co_return) cancels the
///   children; they finish on their own as detached tasks would, their failures going to the
///   scheduler's error handler. A group cannot wait in a destructor: join() to wait.
/// - One thread: spawn, cancel and join on the scheduler's thread.
class TaskGroup {
 public:
  TaskGroup(TaskGroup&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  TaskGroup& operator=(TaskGroup&&) = delete;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Starts `f(args...)`, a callable returning a Task, as a child; or `f` itself when it is a
  /// Task (with no arguments). Throws std::bad_alloc.
  template <typename F, typename... Args>
  void spawn(F f, Args... args) {
    using T = detail::TaskValue<F, Args...>;
    start(detail::group_child<T>(detail::ChildTicket(state()), nullptr, std::move(f),
                                 std::move(args)...));
  }

  /// spawn(), keeping the child's value (or exception) in the handle it returns.
  template <typename F, typename... Args>
  JoinHandle<detail::TaskValue<F, Args...>> spawn_joinable(F f, Args... args) {
    using T = detail::TaskValue<F, Args...>;
    auto result = std::make_shared<detail::ChildResult<T>>();
    start(detail::group_child<T>(detail::ChildTicket(state()), result, std::move(f),
                                 std::move(args)...));
    return JoinHandle<T>(std::move(result));
  }

  /// Waits until every child has finished; see the class comment for what it throws.
  [[nodiscard]] detail::GroupJoin join() { return detail::GroupJoin(state()); }
  /// Cancels every child: their pending waits end (Cancelled, or WaitStatus::cancelled), and so
  /// does every later one.
  void cancel() { state().cancel(); }
  /// Children not finished yet.
  [[nodiscard]] std::size_t running() const { return state().running(); }

 private:
  friend class detail::OpenGroup;
  explicit TaskGroup(detail::GroupState* state) noexcept : state_(state) {}

  [[nodiscard]] detail::GroupState& state() const {
    if (state_ == nullptr) throw std::logic_error("tasknet: a moved-from TaskGroup");
    return *state_;
  }
  void start(Task<void> child) { state_->scheduler().spawn(std::move(child)); }

  detail::GroupState* state_;
};

/// `TaskGroup group = co_await task_group();`: a group on this task's scheduler, cancelled
/// with this task.
[[nodiscard]] inline detail::OpenGroup task_group() noexcept {
  return {};
}

}  // namespace tasknet
