// What every tasknet coroutine's promise carries: the scheduler it runs on, the cancellation it
// runs under, who awaits it, and whether the scheduler owns it as a detached task. Awaitables reach
// the scheduler through it, so the runtime needs no global or thread-local "current scheduler".
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <type_traits>

namespace tasknet {
class Scheduler;
}

namespace tasknet::detail {

/// What a detached task's frame can keep alive until the frame is destroyed, however that comes
/// (the task finishes, or its scheduler goes): tcp_server's handler, into which the frames of
/// lambda coroutines point. release() is called once, from the frame's destruction.
class FrameOwner {
 public:
  virtual void release() noexcept = 0;

 protected:
  ~FrameOwner() = default;
};

class PromiseBase {
 public:
  static constexpr std::size_t not_detached = static_cast<std::size_t>(-1);

  [[nodiscard]] Scheduler* scheduler() const noexcept { return scheduler_; }
  void set_scheduler(Scheduler* scheduler) noexcept { scheduler_ = scheduler; }

  /// The cancellation the task runs under, besides what each wait is given: its task group's or
  /// timeout's token, which every wait of the task (and of the tasks it awaits) also answers.
  /// Null: none. The token belongs to whoever set it, and outlives the task.
  [[nodiscard]] const std::stop_token* cancellation() const noexcept { return cancellation_; }
  void set_cancellation(const std::stop_token* token) noexcept { cancellation_ = token; }

  /// The coroutine to resume when this one finishes; null for a detached task.
  [[nodiscard]] std::coroutine_handle<> continuation() const noexcept {
    return is_detached() ? nullptr : link_.continuation;
  }
  void set_continuation(std::coroutine_handle<> continuation) noexcept {
    link_.continuation = continuation;
  }

  /// Where the scheduler keeps this task in its list of detached tasks.
  [[nodiscard]] std::size_t detached_slot() const noexcept { return detached_slot_; }
  void set_detached_slot(std::size_t slot) noexcept {
    if (!is_detached()) link_.owner = nullptr;  // detached now: no continuation, no owner yet
    detached_slot_ = slot;
  }
  [[nodiscard]] bool is_detached() const noexcept { return detached_slot_ != not_detached; }

  /// For a detached task: the frame keeps `owner` until it is destroyed. At most one per frame.
  void keep_alive(FrameOwner& owner) noexcept { link_.owner = &owner; }

 protected:
  PromiseBase() noexcept = default;
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;
  ~PromiseBase() {
    if (is_detached() && link_.owner != nullptr) link_.owner->release();
  }

 private:
  Scheduler* scheduler_ = nullptr;
  const std::stop_token* cancellation_ = nullptr;
  // A detached task has no continuation: the word holds what its frame keeps alive instead, so
  // that keeping something alive costs no frame a byte. Which one is live: is_detached().
  union Link {
    std::coroutine_handle<> continuation{};
    FrameOwner* owner;
  } link_;
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
