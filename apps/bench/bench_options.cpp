// Command-line parsing for tasknet-bench, with CLI11; every error becomes one line and exit 2.
#include "bench_options.hpp"

#include <CLI/CLI.hpp>

#include "one_line.hpp"
#include "seconds_option.hpp"

#include <ostream>

#include "tasknet/version.hpp"

namespace tasknet::bench {

std::variant<BenchOptions, int> parse_bench_options(int argc, const char* const* argv,
                                                    std::ostream& out, std::ostream& err) {
  BenchOptions options;
  std::string target = "127.0.0.1:25000";
  long long server_pid = 0;

  CLI::App app{
      "tasknet-bench: keeps connections to an echo server busy and reports requests/s, "
      "latency and, given its PID, the server's CPU time per request. Every reply byte "
      "is checked against what was sent.",
      "tasknet-bench"};
  app.set_version_flag("--version", std::string("tasknet-bench ") + tasknet::version);
  app.add_option("target", target, "HOST:PORT of the server")->capture_default_str();
  app.add_option("-c,--connections", options.connections, "Connections")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app.add_option("-P,--pipeline", options.pipeline, "Requests in flight per connection")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->capture_default_str();
  app.add_option("-m,--message-size", options.message_size, "Bytes per request")
      ->check(CLI::Range(std::size_t{1}, max_bytes_in_flight))
      ->capture_default_str();
  app.add_option("-d,--duration", options.duration_s, "Seconds measured")
      ->check(apps::seconds_between(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--warmup", options.warmup_s, "Seconds run before measuring")
      ->check(apps::seconds_between(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--prefix", options.prefix,
                 "The server sends this before every reply chunk (tasknet-echo: GOT:); it is "
                 "stripped before the payload is checked");
  app.add_option("--server-pid", server_pid, "Report the server's CPU time per request")
      ->check(CLI::Range(1LL, 4194304LL));
  app.add_option("--connect-timeout", options.connect_timeout_s, "Seconds to wait for a connection")
      ->check(apps::seconds_between(0.01, 600.0))
      ->capture_default_str();
  app.add_flag("--json", options.json, "Print the summary as one JSON object");
  app.add_flag("-q,--quiet", options.quiet, "No live progress line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {
    return app.exit(done, out, err);
  } catch (const CLI::ParseError& error) {
    err << "tasknet-bench: " << apps::one_line(error.what()) << "\n";
    return 2;
  }
  if (options.pipeline * options.message_size > max_bytes_in_flight) {
    err << "tasknet-bench: --pipeline x --message-size is more than " << max_bytes_in_flight
        << " bytes in flight per connection\n";
    return 2;
  }
  if (server_pid > 0) options.server_pid = static_cast<pid_t>(server_pid);
  try {
    options.target = Address::parse(target);
  } catch (const std::exception& error) {
    err << "tasknet-bench: target: " << apps::one_line(error.what()) << "\n";
    return 2;
  }
  return options;
}

}  // namespace tasknet::bench
