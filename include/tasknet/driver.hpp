// The seam between the scheduler and the operating system: a Driver. The scheduler keeps the
// ready queue, the detached tasks and the timers; everything that touches descriptors is the
// driver's. This header is the one place that says what every driver must provide.
//
// The contract, in prose:
//
// * Every wait on a descriptor goes to the driver: `start` begins it. The driver finishes it at
//   once if it can (the operation succeeds without blocking, or a plain wait knows the
//   descriptor is ready), and otherwise parks it: the waiter is then the driver's until its wait
//   ends, which the driver says with `wake` (the task joins the ready queue with a status).
// * At most one task waits on a descriptor in each direction (the seed's recv_wait and
//   send_wait); `start` throws std::logic_error for a second one.
// * The scheduler ends waits early: `interrupt` with timed_out (its deadline passed) or
//   cancelled (stop was requested). A driver whose operation the kernel holds may take time to
//   get it back; the task resumes only then, and with the operation's result if it finished
//   first, so a cancelled operation never loses what it did.
// * `abandon`: the awaiting frame is being destroyed. When it returns, the driver holds nothing
//   of the waiter (a completion driver waits for the kernel to let go of its buffers).
// * `forget`: the descriptor is about to be closed. Waits on it end cancelled, and nothing known
//   about it survives, since the kernel will reuse the number.
// * `turn`: one loop turn. Blocks until I/O or the timeout (none: as long as it takes; zero: only
//   look), wakes the waits that ended, and returns. EINTR ends it early, silently. Errors of the
//   backend itself throw std::system_error saying what failed.
// * Fairness: an operation that could finish at once first asks `spend_budget`; when the running
//   task's budget is spent, the driver parks it with `queue_attempt` instead, so the task goes to
//   the back of the ready queue and tries at its next turn (`attempt_at_turn`). Every driver
//   follows the same rule, so programs interleave the same way on every backend.
// * A driver is used from the scheduler's thread only.
//
// The drivers (src/drivers/): a readiness driver over the select, poll and epoll pollers, and a
// completion driver over io_uring. docs/design.md says what each layer may know.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "tasknet/detail/waiter.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

class Scheduler;

class Driver {
 public:
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  virtual ~Driver() = default;

  /// The backend's name, as --backend spells it.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  /// Begins `waiter`'s wait on its descriptor (waiter.fd >= 0). Returns false when it finished at
  /// once (the task goes on, with waiter.status ready), true when the waiter is parked (its state
  /// no longer idle). Throws std::system_error when the backend cannot wait on the descriptor,
  /// and std::logic_error for a second waiter in one direction; nothing is parked then.
  [[nodiscard]] virtual bool start(detail::Waiter& waiter) = 0;

  /// A waiter queued with queue_attempt has reached the front of the ready queue (still
  /// attempt_queued). Returns true when its task resumes now (its wait ended), false when it
  /// stays parked.
  [[nodiscard]] virtual bool attempt_at_turn(detail::Waiter& waiter) noexcept = 0;

  /// Ends a parked (or attempt_queued) wait early, with `status`.
  virtual void interrupt(detail::Waiter& waiter, WaitStatus status) noexcept = 0;

  /// The awaiting frame is going while the waiter is not idle: when this returns it is idle and
  /// the driver keeps no pointer to it.
  virtual void abandon(detail::Waiter& waiter) noexcept = 0;

  /// `fd` is about to be closed: its waiters end cancelled, and everything known of it goes.
  virtual void forget(int fd) noexcept = 0;

  /// What an operation of tasknet's outside any wait (FileDescriptor::try_read, Socket::try_recv)
  /// found: would_block or done_drained (EAGAIN, a short read): `fd` is not ready in `direction`,
  /// and the next wait must not finish at once; done: it may still be ready, and a plain wait may
  /// finish at once.
  virtual void record(int fd, Direction direction, detail::Attempt outcome) noexcept = 0;

  /// Whether any wait is parked here: while none is and no timer runs, run() has nothing to wait
  /// for.
  [[nodiscard]] virtual bool has_waiters() const noexcept = 0;

  /// Whether the driver holds work that only a turn starts (io_uring: requests not yet submitted).
  /// The scheduler then turns at the end of the round of ready tasks rather than after
  /// Scheduler::poll_interval tasks, so such work waits for no more than one round.
  [[nodiscard]] virtual bool has_unstarted_work() const noexcept { return false; }

  /// One loop turn (see above).
  virtual void turn(std::optional<std::chrono::nanoseconds> timeout) = 0;

 protected:
  // What a driver may ask of its scheduler (defined in scheduler.cpp).

  /// The wait has ended with `status`: its timer stops, and its task joins the ready queue
  /// (from attempt_queued, the entry it has there resumes it). The waiter becomes idle.
  void wake(detail::Waiter& waiter, WaitStatus status) noexcept;
  /// The waiter becomes attempt_queued, with an entry at the back of the ready queue.
  void queue_attempt(detail::Waiter& waiter) noexcept;
  /// Its deadline no longer counts: the wait is ending, by a way that takes time.
  void stop_timer(detail::Waiter& waiter) noexcept;
  /// Whether the running task may finish one more operation at once; counts it if so.
  [[nodiscard]] bool spend_budget() noexcept;

 private:
  friend class Scheduler;
  Scheduler* scheduler_ = nullptr;  // set when a scheduler takes the driver
};

}  // namespace tasknet
