// Command-line parsing for tasknet-echo, with CLI11; every error becomes one line and exit 2.
#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include "one_line.hpp"
#include "seconds_option.hpp"

#include <ostream>
#include <stdexcept>

#include "tasknet/version.hpp"

namespace tasknet::echo {
namespace {

/// Whole seconds from 0 to `max`, as TCP_KEEPIDLE counts them; "1.5" is refused for what it is.
CLI::Validator whole_seconds_up_to(int max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        int value = 0;
        if (!CLI::detail::lexical_cast(text, value)) {
          return "Value " + text + " is not a whole number of seconds";
        }
        if (value < 0 || value > max) {
          return "Value " + text + " not in range 0 to " + std::to_string(max);
        }
        return {};
      },
      "SECONDS, 0 to " + std::to_string(max));
}

}  // namespace

std::variant<CommandLine, int> parse_command_line(int argc, const char* const* argv,
                                                  std::ostream& out, std::ostream& err) {
  CommandLine result;
  std::string host;
  int port = 25000;
  std::string backend{to_string(result.backend)};

  CLI::App app{
      "tasknet-echo: answers every receive with a prefix and the bytes received, as the "
      "seed's echo server does.",
      "tasknet-echo"};
  app.set_version_flag("--version", std::string("tasknet-echo ") + tasknet::version);
  app.add_option("--host", host, "Address to listen on (default: all IPv4 interfaces)");
  app.add_option("--port", port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--prefix", result.prefix, "Sent before the bytes of each receive; may be empty")
      ->capture_default_str();
  app.add_option("--recv-size", result.recv_size,
                 "Most bytes answered after one prefix, as the seed's recv(1000); larger reads "
                 "are answered in runs of this size")
      ->check(CLI::Range(std::size_t{1}, max_recv_size))
      ->capture_default_str();
  app.add_option("--backend", backend, "I/O backend")
      ->check(CLI::IsMember({"uring", "epoll", "poll", "select"}))
      ->capture_default_str();
  app.add_flag("-q,--quiet", result.quiet, "Do not print a line per connection");
  app.add_option("--max-connections", result.max_connections,
                 "Above this many open clients a new one is accepted and closed at once (0: no "
                 "limit)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--idle-timeout", result.idle_timeout_s,
                 "Close a client that makes no progress for this many seconds: nothing "
                 "received from it while waiting for its next request; while sending it a reply, "
                 "no byte taken by the kernel nor acknowledged by the client (looked at every "
                 "quarter of this). A slow reader that keeps reading is kept. 0: never")
      ->check(apps::seconds_between(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--keepalive", result.keepalive_s,
                 "TCP keepalive: after this many seconds without a packet from a client, probe "
                 "it 3 times, a third of this apart; one that answers none, or leaves reply "
                 "bytes unacknowledged as long (TCP_USER_TIMEOUT), is closed: a vanished peer "
                 "goes after about twice this. 0: no keepalive")
      ->check(whole_seconds_up_to(32767))
      ->capture_default_str();
  app.add_option("--shutdown-timeout", result.shutdown_timeout_s,
                 "On SIGINT/SIGTERM stop accepting, let exchanges under way finish for at most "
                 "this many seconds, then close the rest (0: close at once); a second signal "
                 "exits at once")
      ->check(apps::seconds_between(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--threads", result.threads,
                 "Serving threads, each with its own scheduler, poller and listening socket "
                 "(SO_REUSEPORT: the kernel spreads the connections; under systemd socket "
                 "activation, each accepts on the sockets it was given); 0: one per online "
                 "CPU. --max-connections is shared out evenly between them")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}))
      ->capture_default_str();
  app.add_flag("--stats", result.stats,
               "Print statistics at exit (SIGUSR1 prints them at any time)");
  CLI::Option* proxy_protocol =
      app.add_flag("--proxy-protocol", result.proxy_protocol,
                   "Every connection starts with a PROXY protocol header (v1 or v2, as HAProxy's "
                   "send-proxy and send-proxy-v2 send it), whose client address is logged; one "
                   "without a valid header within 5 seconds is closed");
  std::string proxy_protocol_from;
  app.add_option("--proxy-protocol-from", proxy_protocol_from,
                 "With --proxy-protocol: only peers in these networks (CIDR,CIDR,..., IPv4 or "
                 "IPv6, as 10.0.0.0/8,::1) may connect; any other is closed without a reply")
      ->needs(proxy_protocol);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {
    return app.exit(done, out, err);  // --help or --version, printed to `out`; 0
  } catch (const CLI::ParseError& error) {
    err << "tasknet-echo: " << apps::one_line(error.what()) << "\n";
    return 2;
  }

  try {
    result.backend = parse_backend(backend);
    result.listen_on = Address::resolve(host, static_cast<std::uint16_t>(port));
  } catch (const std::exception& error) {
    err << "tasknet-echo: --host: " << apps::one_line(error.what()) << "\n";
    return 2;
  }
  if (app.count("--proxy-protocol-from") > 0) {
    try {
      result.proxy_protocol_from = parse_cidr_list(proxy_protocol_from);
    } catch (const std::invalid_argument& error) {
      err << "tasknet-echo: --proxy-protocol-from: " << apps::one_line(error.what()) << "\n";
      return 2;
    }
  }
  return result;
}

}  // namespace tasknet::echo
