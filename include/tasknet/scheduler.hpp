// The scheduler: the seed's run() loop as an object. It keeps a FIFO of ready tasks, the
// detached tasks and the timers (tasks waiting until a deadline), runs ready tasks, and when
// none is ready takes one turn of its driver, which owns everything about descriptors: the
// waiting areas of the seed's recv_wait and send_wait, or the operations the kernel holds. It
// knows the driver's interface (driver.hpp) but no kind of backend and no operating-system call.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "tasknet/backend.hpp"
#include "tasknet/detail/block_pool.hpp"
#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/registration.hpp"
#include "tasknet/detail/ring_queue.hpp"
#include "tasknet/detail/timer_heap.hpp"
#include "tasknet/detail/waiter.hpp"
#include "tasknet/driver.hpp"
#include "tasknet/task.hpp"

namespace tasknet {

namespace detail {
struct SchedulerAccess;
}

/// Runs tasks on one thread. One scheduler per thread; nothing is shared between schedulers.
///
/// Every member function is for the scheduler's own thread. Destroying the scheduler destroys
/// every task still alive (their frames, and with them their sockets), so objects those tasks
/// use must outlive it. Descriptors that outlive it are let go: they stay open, bound to none.
class Scheduler {
 public:
  /// While tasks are ready, the driver is asked (without blocking) only once this many tasks have
  /// run since it last was (or at the end of a round in which a task spent its budget, or with
  /// work only a turn starts): often enough that I/O is never starved for long, rarely enough
  /// that tasks taking turns do not pay a system call each (Tokio's event_interval).
  static constexpr std::size_t poll_interval = 61;

  /// How many operations a task may finish at once, without waiting, in one turn of its; the
  /// next one that could yields first, so one busy connection cannot hold the loop (Tokio's
  /// coop budget is the same).
  static constexpr std::uint32_t task_budget = 128;

  /// Receives the exception that ended a detached task. Must not throw.
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  struct Options {
    Backend backend = default_backend();
    /// Null: report on stderr as "tasknet: a detached task failed: <what()>".
    ErrorHandler on_task_error;
  };

  Scheduler();
  explicit Scheduler(Options options);
  /// Takes a driver built elsewhere (make_driver, or one of your own).
  Scheduler(std::unique_ptr<Driver> driver, ErrorHandler on_task_error);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  /// Starts `task` as a detached task owned by the scheduler: it joins the back of the ready
  /// queue and runs when run() reaches it. An exception escaping it goes to the error handler.
  void spawn(Task<void> task);

  /// Runs ready tasks; when none is ready, blocks in the driver until I/O or the next deadline.
  /// Returns when no task is left, or after stop(). Throws std::logic_error when tasks are left
  /// but none is ready or waiting on I/O or time (they could never run again), and
  /// std::system_error when the driver fails.
  void run();

  /// Makes run() return after the task now running. Tasks stay alive and run() may be called again.
  void stop() noexcept { stop_requested_ = true; }

  /// Detached tasks alive (spawned and not finished).
  [[nodiscard]] std::size_t task_count() const noexcept { return detached_.size(); }

  /// The driver's backend name.
  [[nodiscard]] std::string_view backend_name() const noexcept { return driver_->name(); }

 private:
  friend struct detail::SchedulerAccess;
  friend class Driver;

  /// An entry of the ready queue: a task to resume, and for a task whose operation waits for its
  /// turn to try (Driver::queue_attempt), the waiter to try first.
  struct ReadyTask {
    std::coroutine_handle<> task;
    detail::Waiter* attempt_first = nullptr;
  };

  void run_ready_tasks();
  void poll_for_io();
  void expire_timers(TimePoint now) noexcept;
  void finish_detached(detail::PromiseBase& promise, std::coroutine_handle<> frame,
                       std::exception_ptr error) noexcept;
  void report(std::exception_ptr error) noexcept;

  // For awaitables, through detail::SchedulerAccess.
  /// Begins a wait: returns false when it finished at once, true when the task is parked.
  bool wait(detail::Waiter& waiter);
  /// Ends a parked wait early (deadline, stop).
  void interrupt(detail::Waiter& waiter, WaitStatus status) noexcept;
  /// The awaiting frame is going while its wait is not idle.
  void abandon(detail::Waiter& waiter) noexcept;

  // For the driver, through Driver's protected members.
  void wake(detail::Waiter& waiter, WaitStatus status) noexcept;
  void queue_attempt(detail::Waiter& waiter) noexcept;
  void stop_timer(detail::Waiter& waiter) noexcept {
    if (waiter.timer_slot != detail::Waiter::no_timer) timers_.erase(waiter);
  }

  // Declared first, destroyed last: the frames destroyed by ~Scheduler give blocks back.
  detail::BlockPool stop_blocks_;  // the stop callbacks of cancellable waits
  std::unique_ptr<Driver> driver_;
  ErrorHandler on_task_error_;
  detail::RingQueue<ReadyTask> ready_;             // the seed's `tasks`
  detail::TimerHeap timers_;                       // tasks waiting for a deadline
  std::vector<Task<void>::handle_type> detached_;  // every detached task is a Task<void>
  detail::DescriptorRegistry descriptors_;         // owned descriptors bound to this scheduler
  bool stop_requested_ = false;
  bool running_ = false;
  std::size_t runs_since_poll_ = 0;
  std::uint32_t budget_left_ = task_budget;  // of the task now running
  bool budget_spent_ = false;                // by a task since the driver's last turn
};

namespace detail {

/// The library's door into a scheduler, for awaitables and descriptors (not for applications).
struct SchedulerAccess {
  static bool wait(Scheduler& scheduler, Waiter& waiter) { return scheduler.wait(waiter); }
  static void interrupt(Scheduler& scheduler, Waiter& waiter, WaitStatus status) noexcept {
    scheduler.interrupt(waiter, status);
  }
  static void abandon(Scheduler& scheduler, Waiter& waiter) noexcept { scheduler.abandon(waiter); }
  static void make_ready(Scheduler& scheduler, std::coroutine_handle<> task) {
    scheduler.ready_.push_back({task});
  }
  static Driver& driver(Scheduler& scheduler) noexcept { return *scheduler.driver_; }
  /// Hands an exception nobody will rethrow to the scheduler's error handler.
  static void report(Scheduler& scheduler, std::exception_ptr error) noexcept {
    scheduler.report(std::move(error));
  }
  static BlockPool& stop_blocks(Scheduler& scheduler) noexcept { return scheduler.stop_blocks_; }
  static DescriptorRegistry& descriptors(Scheduler& scheduler) noexcept {
    return scheduler.descriptors_;
  }
  static void finish_detached(Scheduler& scheduler, PromiseBase& promise,
                              std::coroutine_handle<> frame, std::exception_ptr error) noexcept {
    scheduler.finish_detached(promise, frame, std::move(error));
  }
};

}  // namespace detail

}  // namespace tasknet
