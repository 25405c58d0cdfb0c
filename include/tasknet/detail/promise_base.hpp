// What every tasknet coroutine's promise carries: the scheduler it runs on, who awaits it, and
// whether the scheduler owns it as a detached task. Awaitables reach the scheduler through it, so
// the runtime needs no global or thread-local "current scheduler".
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <type_traits>

namespace tasknet {
class Scheduler;
}

namespace tasknet::detail {

class PromiseBase {
 public:
  static constexpr std::size_t not_detached = static_cast<std::size_t>(-1);

  [[nodiscard]] Scheduler* scheduler() const noexcept { return scheduler_; }
  void set_scheduler(Scheduler* scheduler) noexcept { scheduler_ = scheduler; }

  /// The coroutine to resume when this one finishes; null for a detached task.
  [[nodiscard]] std::coroutine_handle<> continuation() const noexcept { return continuation_; }
  void set_continuation(std::coroutine_handle<> continuation) noexcept {
    continuation_ = continuation;
  }

  /// Where the scheduler keeps this task in its list of detached tasks.
  [[nodiscard]] std::size_t detached_slot() const noexcept { return detached_slot_; }
  void set_detached_slot(std::size_t slot) noexcept { detached_slot_ = slot; }
  [[nodiscard]] bool is_detached() const noexcept { return detached_slot_ != not_detached; }

 private:
  Scheduler* scheduler_ = nullptr;
  std::coroutine_handle<> continuation_;
  std::size_t detached_slot_ = not_detached;
};

/// Called by a detached task's final suspend: the scheduler forgets the task, destroys its frame
/// and hands `error`, if any, to its error handler. Defined in scheduler.cpp.
void finish_detached_task(PromiseBase& promise, std::coroutine_handle<> frame,
                          std::exception_ptr error) noexcept;

/// The scheduler that the awaiting coroutine runs on.
/// Throws std::logic_error when the task was never given to a scheduler.
template <typename Promise>
Scheduler& scheduler_of(std::coroutine_handle<Promise> awaiting) {
  static_assert(std::is_base_of_v<PromiseBase, Promise>,
                "tasknet awaitables can only be awaited inside a tasknet::Task");
  Scheduler* scheduler = awaiting.promise().scheduler();
  if (scheduler == nullptr) {
    throw std::logic_error(
        "tasknet: this task runs on no Scheduler; spawn it, or await it from a task that does");
  }
  return *scheduler;
}

}  // namespace tasknet::detail
