// The scheduler: the seed's run() loop as an object. It keeps a FIFO of ready tasks and the
// waiting areas (tasks waiting until a descriptor is readable, until it is writable, or until a
// deadline), runs ready tasks, and when none is ready blocks in its poller. It knows the poller's
// interface but no operating-system call.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "tasknet/backend.hpp"
#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/ring_queue.hpp"
#include "tasknet/detail/timer_heap.hpp"
#include "tasknet/detail/waiter.hpp"
#include "tasknet/poller.hpp"
#include "tasknet/task.hpp"

namespace tasknet {

class FileDescriptor;

namespace detail {
class WaitOperation;
class YieldAwaiter;
}  // namespace detail

/// Runs tasks on one thread. One scheduler per thread; nothing is shared between schedulers.
///
/// Every member function is for the scheduler's own thread. Destroying the scheduler destroys
/// every task still alive (their frames, and with them their sockets), so objects those tasks
/// use must outlive it. Descriptors that outlive it are let go: they stay open, bound to none.
class Scheduler {
 public:
  /// While tasks are ready, the poller is asked (without blocking) only once this many tasks have
  /// run since it last was: often enough that I/O is never starved for long, rarely enough that
  /// tasks taking turns do not pay a system call each (Tokio's event_interval is the same idea).
  static constexpr std::size_t poll_interval = 61;

  /// Receives the exception that ended a detached task. Must not throw.
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  struct Options {
    Backend backend = default_backend();
    /// Null: report on stderr as "tasknet: a detached task failed: <what()>".
    ErrorHandler on_task_error;
  };

  Scheduler();
  explicit Scheduler(Options options);
  /// Takes a poller built elsewhere (tests use this to observe the seam).
  Scheduler(std::unique_ptr<Poller> poller, ErrorHandler on_task_error);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  /// Starts `task` as a detached task owned by the scheduler: it joins the back of the ready
  /// queue and runs when run() reaches it. An exception escaping it goes to the error handler.
  void spawn(Task<void> task);

  /// Runs ready tasks; when none is ready, blocks in the poller until I/O or the next deadline.
  /// Returns when no task is left, or after stop(). Throws std::logic_error when tasks are left
  /// but none is ready or waiting on I/O or time (they could never run again), and
  /// std::system_error when the poller fails.
  void run();

  /// Makes run() return after the task now running. Tasks stay alive and run() may be called again.
  void stop() noexcept { stop_requested_ = true; }

  /// Detached tasks alive (spawned and not finished).
  [[nodiscard]] std::size_t task_count() const noexcept { return detached_.size(); }

  /// The poller's backend name.
  [[nodiscard]] std::string_view backend_name() const noexcept { return poller_->name(); }

 private:
  friend class detail::WaitOperation;
  friend class detail::YieldAwaiter;
  friend class FileDescriptor;
  friend void detail::finish_detached_task(detail::PromiseBase&, std::coroutine_handle<>,
                                           std::exception_ptr) noexcept;

  /// Per descriptor: the seed's recv_wait and send_wait entries, and what is known of its
  /// readiness each way.
  struct FdWaits {
    detail::Waiter* waiter[2] = {nullptr, nullptr};  // indexed by Direction
    detail::Readiness readiness[2] = {detail::Readiness::unknown, detail::Readiness::unknown};
    bool watched = false;             // an edge-triggered poller watches it already
    FileDescriptor* owner = nullptr;  // told when the scheduler goes first
  };

  static constexpr std::size_t index_of(Direction direction) noexcept {
    return direction == Direction::readable ? 0 : 1;
  }

  /// An entry of the ready queue: a task to resume, and for a task whose operation waits for its
  /// turn to try (Operation::attempt_at_turn), the parked waiter to try first.
  struct ReadyTask {
    std::coroutine_handle<> task;
    detail::Waiter* attempt_first = nullptr;
  };

  // For awaitables (friends).
  void make_ready(std::coroutine_handle<> task) { ready_.push_back({task}); }
  // Inline: each runs several times per request.
  [[nodiscard]] detail::Readiness readiness(int fd, Direction direction) const noexcept {
    return static_cast<std::size_t>(fd) < waiting_.size()
               ? waiting_[fd].readiness[index_of(direction)]
               : detail::Readiness::unknown;
  }
  void mark_not_ready(int fd, Direction direction) noexcept {
    if (static_cast<std::size_t>(fd) < waiting_.size()) {
      detail::Readiness& known = waiting_[fd].readiness[index_of(direction)];
      if (known != detail::Readiness::closed) known = detail::Readiness::not_ready;
    }
    // A descriptor the table has never seen has no record to correct: its state stays unknown.
  }
  [[nodiscard]] bool completion_based() const noexcept { return completion_based_; }
  void park(detail::Waiter& waiter, LastSeen last_seen);
  void unpark(detail::Waiter& waiter) noexcept;
  /// The awaiting frame is going: the waiter leaves the waiting areas, and an operation in flight
  /// is cancelled and waited for, because the kernel may write into the frame until it completes.
  void abandon(detail::Waiter& waiter) noexcept;
  void cancel(detail::Waiter& waiter) noexcept;
  void forget_fd(int fd) noexcept;
  void set_owner(int fd, FileDescriptor* owner);
  void finish_detached(detail::PromiseBase& promise, std::coroutine_handle<> frame,
                       std::exception_ptr error) noexcept;
  /// Storage for the stop callbacks of cancellable waits, recycled: one size only.
  void* take_block(std::size_t size);
  void give_back_block(void* block) noexcept;

  void run_ready_tasks();
  /// Puts a parked waiter in the ready queue, to try its operation when its turn comes.
  void queue_attempt(detail::Waiter& waiter) noexcept;
  /// Tries the operation of a waiter whose turn has come; returns whether its task resumes now
  /// (the operation finished, or the wait ended meanwhile) or stays parked (would block).
  [[nodiscard]] bool attempt_queued(detail::Waiter& waiter) noexcept;
  void poll_for_io();
  void on_event(const PollEvent& event) noexcept;
  void on_ready(FdWaits& waits, int fd, Direction direction, bool closed) noexcept;
  void on_completion(const Completion& completion) noexcept;
  /// The readiness record of a parked waiter's descriptor and direction.
  detail::Readiness& readiness_of(const detail::Waiter& waiter) noexcept {
    return waiting_[waiter.fd].readiness[index_of(waiter.direction)];
  }
  void submit(detail::Waiter& waiter);
  void expire_timers(TimePoint now) noexcept;
  /// Ends a parked wait early (deadline, stop, close). An operation in flight is cancelled
  /// first: the task resumes when the kernel confirms, with `status` unless it had finished.
  void interrupt(detail::Waiter& waiter, WaitStatus status) noexcept;
  void finish_wait(detail::Waiter& waiter, WaitStatus status) noexcept;
  /// A level-triggered readiness poller (select, poll) watches only while a task waits, so it
  /// is told when a wait ends; epoll keeps watching, and io_uring never watches.
  [[nodiscard]] bool unwatches() const noexcept { return !edge_triggered_ && !completion_based_; }
  FdWaits& waits_of(int fd) {
    return static_cast<std::size_t>(fd) < waiting_.size() ? waiting_[fd] : grow_waits_to(fd);
  }
  FdWaits& grow_waits_to(int fd);

  std::unique_ptr<Poller> poller_;
  bool edge_triggered_;    // poller_->edge_triggered(), asked once
  bool completion_based_;  // poller_->completion_based(), asked once
  ErrorHandler on_task_error_;
  detail::RingQueue<ReadyTask> ready_;  // the seed's `tasks`
  std::vector<FdWaits> waiting_;        // the seed's recv_wait and send_wait, by fd
  std::size_t fd_waiter_count_ = 0;
  std::size_t in_flight_count_ = 0;                // operations submitted to a completion backend
  detail::TimerHeap sleeping_;                     // tasks waiting for a deadline
  std::vector<Task<void>::handle_type> detached_;  // every detached task is a Task<void>
  bool stop_requested_ = false;
  bool running_ = false;
  std::size_t runs_since_poll_ = 0;
  std::vector<void*> free_blocks_;
  std::size_t block_size_ = 0;
};

}  // namespace tasknet
