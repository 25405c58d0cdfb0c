// The narrow interface under the readiness driver: how it blocks until descriptors are ready.
// select, poll and epoll each provide exactly this, in a file of their own.
//
// The contract, in prose:
//
// * The readiness driver owns the waiting areas (which task waits on which descriptor, and
//   which way). A poller only learns which (descriptor, direction) pairs have a waiter: `watch`
//   is called when a task parks, `unwatch` when that wait ends (woken, timed out or cancelled),
//   and `forget` before a descriptor the driver has seen is closed.
// * `wait` blocks until at least one watched pair may be ready, or the timeout passes, and
//   returns those pairs. Reporting a pair that turns out not to be ready is allowed (the driver
//   retries the operation and parks the task again); missing one is not. An error or hang-up on a
//   descriptor is reported as both readable and writable, so whichever task waits sees it, and
//   flagged as closed so that the driver never again waits for an edge that cannot come.
// * `watch` carries what the driver last saw of the pair. `LastSeen::would_block` means an
//   operation on it has just returned EAGAIN (or a short read): the next change of state is
//   certain to be news, so an edge-triggered poller may rely on its next edge. `LastSeen::unknown`
//   means the caller cannot tell (a plain wait, whose task may read the descriptor itself): the
//   poller must report the pair if it is ready now. Level-triggered pollers can ignore the hint.
// * An edge-triggered poller (`edge_triggered()` true) keeps watching a descriptor, both ways, from
//   its first `watch` until `forget`: the driver then calls `watch` again only with
//   LastSeen::unknown (to have the level looked at) and never calls `unwatch`. This is what makes
//   parking after EAGAIN free of system calls and of virtual calls.
// * A poller is used from its scheduler's thread only. Errors setting up or using the backend
//   throw std::system_error saying what failed. EINTR is not an error: `wait` returns early.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "tasknet/wait_options.hpp"

namespace tasknet::drivers {

/// What the driver last saw of a (descriptor, direction) pair when it parks a task on it.
enum class LastSeen : std::uint8_t { would_block, unknown };

/// One descriptor that `Poller::wait` found ready.
struct PollEvent {
  int fd = -1;
  bool readable = false;
  bool writable = false;
  /// The peer has shut its side, or the descriptor has failed: reads will never block again.
  /// Edge-triggered pollers must say so, because no later edge will.
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

  /// A task now waits on `fd` in `direction`. Throws std::system_error when the poller cannot
  /// watch this descriptor (select: fd >= FD_SETSIZE).
  virtual void watch(int fd, Direction direction, LastSeen last_seen) = 0;

  /// No task waits on `fd` in `direction` any more.
  virtual void unwatch(int fd, Direction direction) noexcept = 0;

  /// `fd` is about to be closed: drop everything known about it.
  virtual void forget(int fd) noexcept = 0;

  /// Blocks until watched descriptors may be ready or `timeout` passes (no timeout: wait as long
  /// as it takes; zero: only look). The span stays valid until the next call.
  virtual std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> timeout) = 0;
};

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
std::unique_ptr<Poller> make_epoll_poller();

/// A timeout in the whole milliseconds poll(2) and epoll_wait(2) take; -1 waits forever.
/// Rounds up, so that a wait of a few microseconds does not become a busy loop of zero timeouts.
inline int timeout_in_ms(std::optional<std::chrono::nanoseconds> timeout) noexcept {
  if (!timeout) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  constexpr long long max_ms = 24LL * 3600 * 1000;  // a day: the loop simply waits again
  return static_cast<int>(ms < 0 ? 0 : (ms > max_ms ? max_ms : ms));
}

}  // namespace tasknet::drivers
