// The server side of the fault suite: a real tasknet-echo process on a loopback port, and what
// /proc says about it (open descriptors, resident memory, CPU time).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "process.hpp"
#include "tasknet/backend.hpp"
#include "tasknet/net/address.hpp"

namespace tasknet::fault {

struct EchoLaunch {
  Backend backend = Backend::epoll;
  std::vector<std::string> options;  ///< more of tasknet-echo's options
  long descriptor_limit = 0;         ///< the server's `ulimit -n`; 0: inherited
  bool quiet = true;                 ///< false: it logs every connection on its stdout
  /// Run inside this network namespace (`ip netns exec`), listening on its loopback; empty: here.
  std::string network_namespace;
};

class EchoUnderTest {
 public:
  /// Starts tasknet-echo (--quiet unless asked otherwise) on 127.0.0.1, port 0, and reads back its
  /// port.
  explicit EchoUnderTest(const EchoLaunch& launch);

  [[nodiscard]] Address address() const { return Address::ipv4_loopback(port_); }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] testing::Process& process() noexcept { return process_; }

  /// Entries in /proc/PID/fd.
  [[nodiscard]] std::size_t open_descriptors() const;
  /// VmRSS from /proc/PID/status, in KiB.
  [[nodiscard]] std::size_t resident_kib() const;
  [[nodiscard]] std::chrono::nanoseconds cpu_time() const;

  /// Waits (up to `timeout`) until the open descriptors are back to `baseline`; returns the count
  /// seen last.
  std::size_t settle_descriptors(std::size_t baseline,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// SIGTERM, and the exit code (nullopt if it did not exit within `timeout`).
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(15));

 private:
  testing::Process process_;
  std::uint16_t port_ = 0;
};

/// A new client connects, sends one message and gets exactly its reply: the server still works.
/// Returns what went wrong, or an empty string.
std::string check_fresh_client(std::uint16_t port);

/// Raises this process's soft descriptor limit to at least `wanted`; false if the hard limit
/// forbids it.
bool raise_descriptor_limit(long wanted);

}  // namespace tasknet::fault
