// A task parked in one of the scheduler's waiting areas. It lives inside the awaiter, in the
// waiting coroutine's frame, so parking allocates nothing.
#pragma once

#include <sys/socket.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "tasknet/clock.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {
struct Completion;
}

namespace tasknet::detail {

/// What trying (readiness backends) or completing (completion backends) an operation led to.
enum class Attempt : std::uint8_t {
  done,         ///< the operation finished (with a result or an error): resume the task
  would_block,  ///< not finished: keep the task parked (readiness: wait for the next wake-up;
                ///< completion: submit the operation again, as described now)
  /// Completion backends: what completed was a wait for readiness (the receive's fallback when
  /// its ring of buffers ran dry): try the operation with `attempt` when the task's turn comes.
  try_at_turn,
};

/// An operation as a completion-based backend submits it: which system call, on the Waiter's
/// descriptor, with which arguments. Everything pointed to stays valid until the completion.
struct IoRequest {
  enum class Call : std::uint8_t {
    recv,
    send,
    sendmsg,
    accept,
    connect,
    /// recv into a buffer the kernel picks, when the data arrives, from `buffer_group`
    recv_provided,
    /// wait until the descriptor is readable; completes with what poll(2) saw
    poll_readable,
  };
  Call call = Call::recv;
  /// recv/send: the bytes; sendmsg: the iovec array; accept/connect: the socket address.
  void* data = nullptr;
  /// recv/send/recv_provided: bytes; sendmsg: iovecs; connect: the address's length.
  std::size_t length = 0;
  /// accept: in, the room at `data`; out, the peer address's length.
  socklen_t* address_length = nullptr;
  /// recv_provided: which of the backend's rings of buffers to take one from.
  std::uint16_t buffer_group = 0;
};

struct Waiter;

/// What an awaitable that does I/O (recv, send, accept, connect) tells the scheduler about its
/// operation, once, as a static table: how each kind of backend performs it.
struct Operation {
  /// Readiness backends: performs the system call now, without blocking.
  Attempt (*attempt)(Waiter&) noexcept;
  /// Completion backends: what to submit. Called again after complete() says would_block.
  IoRequest (*describe)(Waiter&) noexcept;
  /// Completion backends: takes the result (what the system call returned, or -errno, and the
  /// buffer the kernel picked for a recv_provided).
  Attempt (*complete)(Waiter&, const Completion&) noexcept;
  /// Completion backends, optional: disposes of a result nobody will take, because the awaiting
  /// frame is being destroyed while the operation was in flight (accept closes the new
  /// descriptor; a provided-buffer receive gives the buffer back). The Waiter is still alive.
  void (*discard)(Waiter&, const Completion&) noexcept = nullptr;
  /// Completion backends: after a completion, try the next one at once with `attempt` (and
  /// submit only if it would block). For accept: a backlog is drained in one loop turn, as a
  /// readiness backend drains it, instead of one connection per turn.
  bool try_after_completion = false;
  /// Readiness backends: when the poller reports the descriptor ready, try the operation when
  /// the task's turn comes in the ready queue, not at once while the scheduler goes through the
  /// poller's events. For a receive that borrows a buffer to try: one wait may report hundreds
  /// of readable sockets, and trying them all there would borrow a buffer for each before any
  /// task has run to give one back.
  bool attempt_at_turn = false;
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
  bool parked = false;
  /// Completion backends: submitted to the kernel and not yet completed. Its buffers are the
  /// kernel's until then, so the wait cannot end (nor the frame go) before the completion.
  bool in_flight = false;
  bool has_deadline = false;
  /// Every operation on `fd` keeps the scheduler's readiness record current (descriptors tasknet
  /// owns): a plain wait may then trust a reported readiness, and the next edge after EAGAIN.
  bool trust_readiness = false;
  /// Reported ready (or, on a completion backend, its readiness poll completed) and in the ready
  /// queue to try its operation (see Operation::attempt_at_turn); still parked until then.
  bool attempt_queued = false;
};

}  // namespace tasknet::detail
