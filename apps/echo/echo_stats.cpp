#include "echo_stats.hpp"

#include "output_log.hpp"

namespace tasknet::echo {

StatsSnapshot& StatsSnapshot::operator+=(const StatsSnapshot& other) noexcept {
  open += other.open;
  accepted += other.accepted;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  over_limit += other.over_limit;
  idle_timeouts += other.idle_timeouts;
  dead_peers += other.dead_peers;
  resets += other.resets;
  other_errors += other.other_errors;
  accept_failures += other.accept_failures;
  return *this;
}

void StatsSnapshot::print(OutputLog& out) const {
  out.print(
      "stats: open %llu, accepted %llu, bytes in %llu, bytes out %llu; errors: over limit "
      "%llu, idle timeout %llu, dead peer %llu, reset %llu, other %llu, accept failures %llu\n",
      static_cast<unsigned long long>(open), static_cast<unsigned long long>(accepted),
      static_cast<unsigned long long>(bytes_in), static_cast<unsigned long long>(bytes_out),
      static_cast<unsigned long long>(over_limit), static_cast<unsigned long long>(idle_timeouts),
      static_cast<unsigned long long>(dead_peers), static_cast<unsigned long long>(resets),
      static_cast<unsigned long long>(other_errors),
      static_cast<unsigned long long>(accept_failures));
}

StatsSnapshot EchoStats::snapshot() const noexcept {
  return {.open = open,
          .accepted = accepted,
          .bytes_in = bytes_in,
          .bytes_out = bytes_out,
          .over_limit = over_limit,
          .idle_timeouts = idle_timeouts,
          .dead_peers = dead_peers,
          .resets = resets,
          .other_errors = other_errors,
          .accept_failures = accept_failures};
}

}  // namespace tasknet::echo
