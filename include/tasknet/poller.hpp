// The backend seam: how the scheduler blocks until descriptors are ready. This header is the one
// place that says what every backend (src/pollers/) must provide.
//
// The contract, in prose:
//
// * The scheduler owns the waiting areas (which task waits on which descriptor, and which way).
//   A poller only learns which (descriptor, direction) pairs have a waiter: `watch` is called when
//   a task parks, `unwatch` when that wait ends (woken, timed out or cancelled), and `forget`
//   before a descriptor the scheduler has seen is closed.
// * `wait` blocks until at least one watched pair may be ready, or the timeout passes, and
//   returns those pairs. Reporting a pair that turns out not to be ready is allowed (the scheduler
//   retries the operation and parks the task again); missing one is not. An error or hang-up on a
//   descriptor is reported as both readable and writable, so whichever task waits sees it, and
//   flagged as closed so that the scheduler never again waits for an edge that cannot come.
// * `watch` carries what the scheduler last saw of the pair. `LastSeen::would_block` means an
//   operation on it has just returned EAGAIN (or a short read): the next change of state is
//   certain to be news, so an edge-triggered backend may rely on its next edge. `LastSeen::unknown`
//   means the caller cannot tell (a plain wait on a raw descriptor): the backend must report the
//   pair if it is ready now. Level-triggered backends (select, poll) can ignore the hint.
// * An edge-triggered poller (`edge_triggered()` true) keeps watching a descriptor, both ways, from
//   its first `watch` until `forget`: the scheduler then calls `watch` again only with
//   LastSeen::unknown (to have the level looked at) and never calls `unwatch`. This is what makes
//   parking after EAGAIN free of system calls and of virtual calls.
// * A poller is used from the scheduler's thread only. Errors setting up or using the backend
//   throw std::system_error saying what failed. EINTR is not an error: `wait` returns early.
//
// A completion-based backend (`completion_based()` true: io_uring) performs the operations
// itself instead of reporting readiness; watch, unwatch, forget and wait are never called on it.
// * The awaitables in net/ describe each operation (recv into this buffer, send these iovecs,
//   accept on this listener: detail::Operation::describe). `submit` queues it, or, for a plain
//   readiness wait (no operation), a one-shot poll for the Waiter's direction.
// * `complete` submits everything queued and waits (as `wait` does) for completions, each naming
//   its Waiter and the system call's result (or -errno). Submissions are batched: one system call
//   per loop turn both submits and waits.
// * `cancel` asks the kernel to end a Waiter's operation early and hands the request over at
//   once (the descriptor may be closed right after). The operation still completes, with
//   -ECANCELED or, if it finished first, with its result. Until it does, the kernel may use the
//   Waiter's buffers, so the scheduler resumes nobody and frees nothing before then.
// * `buffer_group` sets up, on a pool's first receive, a ring of provided buffers that the pool
//   feeds (detail::BufferRing): a recv_provided then names no buffer, the kernel takes one from
//   the ring when data arrives, and the completion says which. A ring that has run dry fails the
//   receive with -ENOBUFS, and the operation falls back to a poll (poll_readable) and a borrow.
// The handlers do not change: the same awaitables run on both kinds of backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tasknet/detail/waiter.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

class BufferPool;

/// One operation a completion-based backend has finished.
struct Completion {
  detail::Waiter* waiter = nullptr;
  /// What the system call returned, or -errno. For a plain readiness wait, 0 once ready.
  int result = 0;
  /// A plain readiness wait ended by hang-up or error: it will never block this way again.
  bool closed = false;
  /// recv_provided: which buffer of the group the kernel filled (taken back from the pool's
  /// ring by the operation: detail::BufferRing::take); -1 if it took none.
  int buffer_id = -1;
};

/// What the scheduler last saw of a (descriptor, direction) pair when it parks a task on it.
enum class LastSeen : std::uint8_t { would_block, unknown };

/// One descriptor that `Poller::wait` found ready.
struct PollEvent {
  int fd = -1;
  bool readable = false;
  bool writable = false;
  /// The peer has shut its side, or the descriptor has failed: reads will never block again.
  /// Edge-triggered backends must say so, because no later edge will.
  bool read_closed = false;
  /// The descriptor has hung up or failed: writes will never block again.
  bool write_closed = false;
};

class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  virtual ~Poller() = default;

  /// The backend's name, as --backend spells it.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  /// Whether watching persists until forget (see the contract above).
  [[nodiscard]] virtual bool edge_triggered() const noexcept { return false; }

  /// A task now waits on `fd` in `direction`. Throws std::system_error when the backend cannot
  /// watch this descriptor (select: fd >= FD_SETSIZE).
  virtual void watch(int fd, Direction direction, LastSeen last_seen) = 0;

  /// No task waits on `fd` in `direction` any more.
  virtual void unwatch(int fd, Direction direction) noexcept = 0;

  /// `fd` is about to be closed: drop everything known about it.
  virtual void forget(int fd) noexcept = 0;

  /// Blocks until watched descriptors may be ready or `timeout` passes (no timeout: wait as long
  /// as it takes; zero: only look). The span stays valid until the next call.
  virtual std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> timeout) = 0;

  // Completion-based backends only (see the contract above); the others keep these defaults.

  /// Whether the backend performs operations itself instead of reporting readiness.
  [[nodiscard]] virtual bool completion_based() const noexcept { return false; }

  /// Queues `waiter`'s operation. Throws std::system_error when the backend refuses it.
  virtual void submit(detail::Waiter& waiter);

  /// Asks for `waiter`'s operation to end early, now.
  virtual void cancel(detail::Waiter& /*waiter*/) noexcept {}

  /// The group of provided buffers (a ring the kernel takes from as data arrives) fed by `pool`,
  /// set up on first use; nullopt when the backend has none for it (not supported here, or the
  /// pool feeds another backend's), and a receive then waits for readiness and borrows.
  virtual std::optional<std::uint16_t> buffer_group(BufferPool& /*pool*/) noexcept {
    return std::nullopt;
  }

  /// Submits what is queued, then blocks as `wait` does until operations complete. The span
  /// stays valid until the next call.
  virtual std::span<const Completion> complete(std::optional<std::chrono::nanoseconds> timeout);
};

}  // namespace tasknet
