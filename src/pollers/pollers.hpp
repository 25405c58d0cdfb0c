// The backends behind tasknet::Poller, and what they share. Private to the library.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "tasknet/poller.hpp"

namespace tasknet::pollers {

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
std::unique_ptr<Poller> make_epoll_poller();
std::unique_ptr<Poller> make_uring_poller();

/// A timeout in the whole milliseconds poll(2) and epoll_wait(2) take; -1 waits forever.
/// Rounds up, so that a wait of a few microseconds does not become a busy loop of zero timeouts.
inline int timeout_in_ms(std::optional<std::chrono::nanoseconds> timeout) noexcept {
  if (!timeout) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  constexpr long long max_ms = 24LL * 3600 * 1000;  // a day: the loop simply waits again
  return static_cast<int>(ms < 0 ? 0 : (ms > max_ms ? max_ms : ms));
}

}  // namespace tasknet::pollers
