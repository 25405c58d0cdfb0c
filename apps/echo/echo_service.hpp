// The seed's echo_handler, as the connection handler of tasknet-echo: answer each receive with
// the prefix and the bytes received, until the peer closes.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

#include "cidr.hpp"
#include "echo_stats.hpp"
#include "output_log.hpp"
#include "tasknet/buffer_pool.hpp"
#include "tasknet/clock.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/task.hpp"

namespace tasknet::echo {

struct EchoConfig {
  std::string prefix = "GOT:";
  /// The seed's recv(1000): the most bytes answered after one prefix. The service reads more at
  /// once when more is there and answers it in runs of this size, each after its own prefix, so
  /// the replies are byte for byte what the seed would send had its receives returned those runs.
  std::size_t recv_size = 1000;
  /// Where "Connection from ..." and "Connection closed" go; null for none.
  OutputLog* log = nullptr;
  /// Above this many open connections a new one is accepted and closed at once; 0: no limit.
  std::size_t max_connections = 0;
  /// A connection that sends nothing for this long is closed; zero: never.
  Clock::duration idle_timeout{};
  /// Whether begin_drain() may be used: waits for requests then listen for it (a stop token).
  bool drainable = false;
  /// Every connection starts with a PROXY protocol header (read within proxy_header_timeout),
  /// and the client it names is the address logged.
  bool proxy_protocol = false;
  /// With proxy_protocol: the peers (the balancers) that may connect; empty: any.
  std::vector<Cidr> proxy_protocol_from;
};

/// How long a connection has to send its whole PROXY header: the protocol asks for at least 3
/// seconds (a lost first segment is sent again after 1 s, then 2 s later), and balancers send
/// the header at once, so anything slower is a client that is not a balancer or has stalled.
inline constexpr std::chrono::seconds proxy_header_timeout{5};

class EchoService {
 public:
  explicit EchoService(EchoConfig config);

  /// What tcp_server runs for each connection: echo_handler, or with EchoConfig::proxy_protocol,
  /// the header first (read_header_then_serve). Not a coroutine: without --proxy-protocol a
  /// connection costs nothing more than echo_handler's frame.
  Task<void> connection_handler(Socket client, Address peer);

  /// Serves one client until it closes. A reset or other socket error ends only this
  /// connection: it is logged, never thrown.
  Task<void> echo_handler(Socket client, Address address);

  [[nodiscard]] const EchoStats& stats() const noexcept { return stats_; }

  /// Graceful shutdown (needs EchoConfig::drainable): connections waiting for a request close now;
  /// those in the middle of an exchange finish sending their reply, then close.
  void begin_drain() { drain_.request_stop(); }
  /// One line: "stats: open 3, accepted 10, bytes in 1000, bytes out 1040, errors: ...".
  void print_stats(OutputLog& out) const { stats_.snapshot().print(out); }

  /// Ends a period of the receive buffers' use (BufferPool::trim): call it now and then, so that
  /// a busy server keeps as many buffers as it uses and an idle one lets them go.
  void trim_buffers() noexcept { buffers_.trim(); }

  /// For tcp_server's on_accept_error: logs the first failure of an episode to `errors` and
  /// counts the rest; the next accepted connection ends the episode, and says so.
  void accept_failed(const std::system_error& error, OutputLog* errors);

 private:
  // Out of the coroutine, so that formatting leaves no temporaries in every connection's frame.
  void log_opened(const Address& address) const;
  void log_closed(const char* reason) const;
  void log_refused(const Address& peer, const char* reason) const;
  /// With --proxy-protocol: closes a peer outside proxy_protocol_from at once, reads the header,
  /// and spawns echo_handler for the client it names as a task of its own, so that this frame
  /// (the header's buffer with it) is gone before the exchange starts. A missing, malformed or
  /// slow header closes the connection without a reply.
  Task<void> read_header_then_serve(Socket client, Address peer);
  /// Describes the reply to the `received` bytes: prefix and run, prefix and run... The piece
  /// list goes in the buffer's headroom, before the bytes.
  std::span<iovec> reply_pieces(Received& received) const;
  /// How many prefixed runs a reply to the `received` bytes has.
  [[nodiscard]] std::size_t runs_in(const Received& received) const noexcept;
  void end_accept_failure_episode();
  /// Counts and logs how a connection ended with an error.
  void closed_by(const std::system_error& error);
  /// Closes without losing replies: a socket closed with input still unread is reset by the
  /// kernel, which drops what it had not sent yet. So send FIN after the replies, then read and
  /// discard until the peer closes (or the shutdown deadline ends the scheduler).
  void close_gracefully(Socket client);
  Task<void> discard_until_closed(Socket client);

  EchoConfig config_;
  EchoStats stats_;
  std::stop_source drain_;
  std::stop_token drain_token_;  // never stopped unless drainable: waits then register nothing
  std::uint64_t failures_this_episode_ = 0;
  OutputLog* accept_errors_ = nullptr;
  std::size_t read_size_;  // bytes one receive may take
  std::size_t iov_bytes_;  // room for the reply's pieces: each pooled buffer's headroom
  BufferPool buffers_;
};

}  // namespace tasknet::echo
