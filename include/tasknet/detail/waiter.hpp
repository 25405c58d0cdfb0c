// A task parked in one of the scheduler's waiting areas. It lives inside the awaiter, in the
// waiting coroutine's frame, so parking allocates nothing.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "tasknet/clock.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet::detail {

/// What a readiness poller's wake-up led to when the scheduler retried the operation.
enum class Attempt : std::uint8_t {
  done,         ///< the operation finished (with a result or an error): resume the task
  would_block,  ///< the wake-up was spurious: keep the task parked
};

/// What the scheduler knows of a descriptor's readiness in one direction.
enum class Readiness : std::uint8_t {
  unknown,    ///< nothing seen yet: an operation may try, a plain wait must ask the poller
  ready,      ///< the poller reported it, and no operation has found it drained since
  not_ready,  ///< an operation got EAGAIN or a short read: the next change is news
  closed,     ///< hang-up or error reported: it will never block this way again, and no
              ///< further edge will say so, so nothing may mark it not ready
};

struct Waiter {
  static constexpr std::uint32_t no_timer = UINT32_MAX;

  /// The operation to retry when `fd` becomes ready, for awaitables that do I/O as well as wait
  /// (recv, send, accept); null for a plain readiness wait. Runs inside the scheduler's loop.
  using AttemptFn = Attempt (*)(Waiter&) noexcept;

  // Ordered to pack: a Waiter lives in every awaiter, and awaiters live in coroutine frames.
  std::coroutine_handle<> task;  ///< resumed, through the ready queue, when the wait ends
  AttemptFn attempt = nullptr;
  TimePoint deadline{};
  std::uint64_t timer_sequence = 0;  ///< orders equal deadlines first come, first served
  int fd = -1;                       ///< -1 for a wait on time alone
  std::uint32_t timer_slot = no_timer;
  Direction direction = Direction::readable;
  WaitStatus status = WaitStatus::ready;
  bool parked = false;
  bool has_deadline = false;
  /// Every operation on `fd` keeps the scheduler's readiness record current (descriptors tasknet
  /// owns): a plain wait may then trust a reported readiness, and the next edge after EAGAIN.
  bool trust_readiness = false;
};

}  // namespace tasknet::detail
