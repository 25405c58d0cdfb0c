// TCP keepalive: how a connection finds out that its peer has gone without a word (a host that
// crashed, a cable cut, a firewall that drops the flow), which no amount of waiting on the socket
// would tell.
#pragma once

#include <algorithm>
#include <chrono>

namespace tasknet {

/// After `idle` without a packet from the peer, the kernel sends a probe every `interval`; after
/// `probes` unanswered ones it gives up, and the connection's next operation fails with
/// ETIMEDOUT. Applied with TCP_USER_TIMEOUT set to the same total, dead_after(), so that reply
/// bytes a vanished peer never acknowledges are given up on in the same time, instead of being
/// retransmitted for the kernel's default quarter of an hour.
struct KeepAlive {
  std::chrono::seconds idle{60};
  std::chrono::seconds interval{20};
  int probes = 3;

  /// Probes starting after `idle` seconds of silence, `idle` / 3 apart (at least 1 s), three of
  /// them: a dead peer is found after about twice `idle`.
  [[nodiscard]] static KeepAlive after_silence_of(std::chrono::seconds idle) noexcept {
    const std::chrono::seconds interval{(idle.count() + 2) / 3};
    return {.idle = idle, .interval = std::max(interval, std::chrono::seconds{1}), .probes = 3};
  }

  /// How long a peer that answers nothing stays connected.
  [[nodiscard]] std::chrono::seconds dead_after() const noexcept {
    return idle + interval * probes;
  }
};

/// Sets SO_KEEPALIVE with `keepalive`'s periods, and TCP_USER_TIMEOUT to its dead_after(), on the
/// TCP socket `fd`. On a listening socket, every connection it accepts inherits them (Linux), at
/// no cost per connection. Throws std::system_error naming the option that was refused.
void set_keepalive(int fd, const KeepAlive& keepalive);

}  // namespace tasknet
