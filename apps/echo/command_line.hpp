// tasknet-echo's options, parsed from argv into one struct. Kept apart from main() so tests and
// fuzzers can drive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "cidr.hpp"
#include "tasknet/backend.hpp"
#include "tasknet/net/address.hpp"

namespace tasknet::echo {

struct CommandLine {
  Address listen_on = Address{}.with_port(25000);  // the seed: ('', 25000)
  std::string prefix = "GOT:";
  std::size_t recv_size = 1000;
  Backend backend = default_backend();
  bool quiet = false;
  std::size_t max_connections = 0;  ///< 0: no limit
  double idle_timeout_s = 0;        ///< 0: off, as in the seed
  int keepalive_s = 60;             ///< silence before keepalive probes; 0: no keepalive
  bool stats = false;               ///< print statistics at exit
  double shutdown_timeout_s = 0;    ///< 0: close everything at the first signal
  std::size_t threads = 1;          ///< serving threads; 0: one per online CPU
  bool proxy_protocol = false;      ///< every connection starts with a PROXY protocol header
  /// With proxy_protocol: the peers that may connect; empty: any.
  std::vector<Cidr> proxy_protocol_from;
};

inline constexpr std::size_t max_recv_size = 16 * 1024 * 1024;

/// Parses tasknet-echo's arguments. Returns the options to run with, or the exit code to leave
/// with: 0 after printing --help or --version to `out`, 2 after printing one line naming the bad
/// option or value to `err`.
std::variant<CommandLine, int> parse_command_line(int argc, const char* const* argv,
                                                  std::ostream& out, std::ostream& err);

}  // namespace tasknet::echo
