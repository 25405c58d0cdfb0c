// tasknet-bench's options, parsed from argv into one struct (kept apart from main() for tests).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>

#include "tasknet/net/address.hpp"

namespace tasknet::bench {

struct BenchOptions {
  Address target = Address::ipv4_loopback(25000);
  std::size_t connections = 50;
  std::size_t pipeline = 1;  ///< requests in flight per connection
  std::size_t message_size = 64;
  double duration_s = 5;
  double warmup_s = 1;
  std::string prefix;  ///< what the server puts before each reply chunk; empty: a pure echo
  std::optional<pid_t> server_pid;
  double connect_timeout_s = 5;
  bool json = false;
  bool quiet = false;  ///< no live progress line
};

/// The most bytes one connection may have in flight (pipeline x message size).
inline constexpr std::size_t max_bytes_in_flight = 1 << 20;

/// Parses tasknet-bench's arguments. Returns the options, or the exit code to leave with: 0 after
/// --help or --version (printed to `out`), 2 after one line naming the bad option on `err`.
std::variant<BenchOptions, int> parse_bench_options(int argc, const char* const* argv,
                                                    std::ostream& out, std::ostream& err);

}  // namespace tasknet::bench
