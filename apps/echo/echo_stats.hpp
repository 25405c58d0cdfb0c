// tasknet-echo's statistics: counters each written by one thread (the one serving the
// connections) and read by any (SIGUSR1 and --stats sum every thread's).
#pragma once

#include <atomic>
#include <cstdint>

namespace tasknet::echo {

class OutputLog;

/// A counter with one writer and any number of readers. Relaxed atomic loads and stores, which
/// on x86-64 compile to the plain add of a std::uint64_t: no locked instruction on the hot path,
/// and no data race when another thread reads it.
class Counter {
 public:
  Counter& operator++() noexcept { return *this += 1; }
  Counter& operator--() noexcept {
    value_.store(value_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return *this;
  }
  Counter& operator+=(std::uint64_t amount) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
    return *this;
  }
  operator std::uint64_t() const noexcept {  // NOLINT: reads like the integer it counts
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// The numbers, copied out: summed over threads, printed.
struct StatsSnapshot {
  std::uint64_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t over_limit = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t dead_peers = 0;
  std::uint64_t resets = 0;
  std::uint64_t other_errors = 0;
  std::uint64_t accept_failures = 0;

  StatsSnapshot& operator+=(const StatsSnapshot& other) noexcept;
  /// One line: "stats: open 3, accepted 10, bytes in 1000, bytes out 1040; errors: ...".
  void print(OutputLog& out) const;
};

/// What one service has done so far.
struct EchoStats {
  Counter open;
  Counter accepted;
  Counter bytes_in;
  Counter bytes_out;
  Counter over_limit;     ///< closed at once: --max-connections reached
  Counter idle_timeouts;  ///< closed after --idle-timeout without progress either way
  Counter dead_peers;     ///< the kernel gave up on the peer: keepalive or replies unacknowledged
  Counter resets;         ///< ended by the peer with a reset or broken pipe
  Counter other_errors;
  Counter accept_failures;

  [[nodiscard]] StatsSnapshot snapshot() const noexcept;
};

}  // namespace tasknet::echo
