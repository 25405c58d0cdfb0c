// A task parked in a wait: what it waits for, and where its wait stands. It lives inside the
// awaiter, in the waiting coroutine's frame, so parking allocates nothing.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "tasknet/clock.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet::detail {

// Defined in the library's private src/drivers/io_request.hpp: only the operations in net/ and
// the completion driver see them.
struct IoRequest;
struct Completion;

/// What trying (readiness drivers) or completing (completion drivers) an operation led to.
enum class Attempt : std::uint8_t {
  done,  ///< the operation finished (with a result or an error): resume the task
  /// finished, and found the descriptor drained on the way (a short read): the next change of
  /// its state is news, so an edge-triggered poller may be relied on for it
  done_drained,
  would_block,  ///< not finished: keep the task waiting (readiness: for the next wake-up;
                ///< completion: the driver submits it again, as described now)
};

struct Waiter;

/// What an awaitable that does I/O (recv, send, accept, connect) tells the drivers about its
/// operation, once, as a static table. Each kind of driver uses its own half.
struct Operation {
  /// Readiness drivers, and a completion driver trying at once: performs the system call now,
  /// without blocking.
  Attempt (*attempt)(Waiter&) noexcept;
  /// Completion drivers: what to submit. Called again after complete() says would_block.
  IoRequest (*describe)(Waiter&) noexcept;
  /// Completion drivers: takes the result (what the system call returned, or -errno, and the
  /// buffer the kernel filled for a receive into a pool).
  Attempt (*complete)(Waiter&, const Completion&) noexcept;
  /// Completion drivers, optional: disposes of a result nobody will take, because the awaiting
  /// frame is being destroyed while the operation was in flight (accept closes the new
  /// descriptor; a receive into a pool gives the buffer back). The Waiter is still alive.
  void (*discard)(Waiter&, const Completion&) noexcept = nullptr;
  /// Completion drivers: after a completion, try the next one at once with `attempt` (and
  /// submit only if it would block). For accept: a backlog is drained in one loop turn, as a
  /// readiness driver drains it, instead of one connection per turn.
  bool try_after_completion = false;
  /// When the descriptor is reported ready, try the operation when the task's turn comes in the
  /// ready queue, not at once while the driver goes through the poller's events. For a receive
  /// that borrows a buffer to try: one wait may report hundreds of readable sockets, and trying
  /// them all there would borrow a buffer for each before any task has run to give one back.
  bool attempt_at_turn = false;
  /// Optional, for a timeout that restarts whenever the operation makes progress (send_all_for):
  /// asked when the waiter's deadline has passed, at `now`. To keep waiting, it stores a later
  /// deadline in waiter.deadline and returns true; false: the wait times out.
  bool (*extend_deadline)(Waiter&, TimePoint now) noexcept = nullptr;
  /// For a waiter that is a timer alone (no descriptor, no task to resume: a timeout's): called
  /// in place of resuming a task when its deadline passes. The waiter is idle again by then.
  void (*expired)(Waiter&) noexcept = nullptr;
};

/// Where a wait stands. The transitions, and who makes them:
///
///   idle -> parked            the driver could not finish the wait when it started (a readiness
///                             driver: in its waiting area; a completion driver: submitted)
///   parked -> attempt_queued  reported ready (or the task's budget was spent): an entry of the
///                             ready queue will try the operation at the task's turn; the waiter
///                             keeps its place in the waiting area until then
///   attempt_queued -> parked  tried at its turn, and it would block after all
///   parked, attempt_queued -> idle
///                             the wait ended (done, deadline, stop, close): the task is in the
///                             ready queue (from attempt_queued: its entry resumes it untried)
///   parked -> cancelling      completion drivers: interrupted while the kernel holds the
///                             operation; it left the waiting areas and resumes when the kernel
///                             confirms, with its result if the operation finished first
///   parked, cancelling -> abandoned
///                             completion drivers: the frame is being destroyed while the kernel
///                             holds the operation; the driver waits for the completion and
///                             discards its result before the frame may go
///   cancelling, abandoned -> idle
///                             the kernel's completion came
///
/// A sleep (no descriptor) is only ever idle or parked (in the timer heap).
enum class WaitState : std::uint8_t { idle, parked, attempt_queued, cancelling, abandoned };

struct Waiter {
  static constexpr std::uint32_t no_timer = UINT32_MAX;

  // Ordered to pack: a Waiter lives in every awaiter, and awaiters live in coroutine frames.
  std::coroutine_handle<> task;  ///< resumed, through the ready queue, when the wait ends
  /// The I/O to perform, for awaitables that do I/O as well as wait; null for a plain readiness
  /// wait (or a sleep). Its functions run inside the scheduler's loop.
  const Operation* operation = nullptr;
  TimePoint deadline{};
  std::uint64_t timer_sequence = 0;  ///< orders equal deadlines first come, first served
  int fd = -1;                       ///< -1 for a wait on time alone
  std::uint32_t timer_slot = no_timer;
  Direction direction = Direction::readable;
  WaitStatus status = WaitStatus::ready;
  WaitState state = WaitState::idle;
  bool has_deadline = false;
  /// Every operation on `fd` keeps the driver's record of its readiness current (descriptors
  /// tasknet owns): a plain wait may then trust a reported readiness, and the next edge after
  /// EAGAIN.
  bool trust_readiness = false;
  /// The driver's own note about the waiter while it is not idle (io_uring: which kind of
  /// request it has submitted for it). In what would otherwise be padding.
  std::uint8_t driver_note = 0;
};

}  // namespace tasknet::detail
