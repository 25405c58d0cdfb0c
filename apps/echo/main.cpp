// tasknet-echo: the seed's echo server. Listens on port 25000 (or --port), answers each receive
// of up to 1000 bytes with "GOT:" and those bytes, and serves any number of clients at once.
// SIGINT or SIGTERM stops it: it stops accepting, closes the connections and exits 0 (with
// --shutdown-timeout, exchanges under way may finish first). SIGUSR1 prints its statistics.
//
// Try it:  tasknet-echo &   then   nc localhost 25000
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include "command_line.hpp"
#include "echo_service.hpp"
#include "tasknet/tasknet.hpp"

namespace {

using namespace tasknet;

Task<void> serve(TcpListener listener, echo::EchoService* service, std::stop_token stop_accepting,
                 int* exit_code) {
  // Named, not braced inside the co_await: GCC 12 destroys such a temporary twice, and the
  // token's shared state with it (valgrind caught it; see docs/design.md).
  TcpServerOptions options{.stop = std::move(stop_accepting),
                           .on_accept_error = [service](const std::system_error& error) {
                             service->accept_failed(error, stderr);
                           }};
  try {
    co_await tcp_server(
        std::move(listener),
        [service](Socket client, Address address) {
          return service->echo_handler(std::move(client), address);
        },
        std::move(options));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tasknet-echo: %s\n", error.what());
    *exit_code = 1;
  }
  // Returning normally means accepting was stopped for a graceful shutdown: the rest goes on.
  if (*exit_code != 0) (co_await this_scheduler()).stop();
}

Task<void> stop_when_drained(const echo::EchoService* service, TimePoint deadline) {
  while (service->stats().open > 0 && Clock::now() < deadline) {
    co_await sleep_for(std::chrono::milliseconds(5));
  }
  (co_await this_scheduler()).stop();  // what is left is closed as the scheduler goes
}

struct Shutdown {
  std::stop_source accepting;
  Clock::duration timeout{};
  bool draining = false;
};

Task<void> handle_signals(SignalSet* signals, echo::EchoService* service, Shutdown* shutdown,
                          bool quiet) {
  Scheduler& scheduler = co_await this_scheduler();
  for (;;) {
    const int signal = co_await signals->wait();
    if (signal == SIGUSR1) {
      service->print_stats(stderr);
      continue;
    }
    if (shutdown->draining || shutdown->timeout == Clock::duration::zero()) {
      if (!quiet) std::printf("Stopping on signal %d\n", signal);
      scheduler.stop();
      co_return;
    }
    if (!quiet) std::printf("Draining on signal %d\n", signal);
    shutdown->draining = true;
    shutdown->accepting.request_stop();
    service->begin_drain();
    scheduler.spawn(stop_when_drained(service, after(shutdown->timeout)));
  }
}

void report_task_error(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tasknet-echo: a connection failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "tasknet-echo: a connection failed\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  try {
    auto parsed = echo::parse_command_line(argc, argv, std::cout, std::cerr);
    if (const int* usage_exit = std::get_if<int>(&parsed)) return *usage_exit;
    const echo::CommandLine& options = std::get<echo::CommandLine>(parsed);
    // Declared in this order so that the tasks, destroyed with the scheduler, go before the
    // buffers they borrow, and the signal descriptor goes before the scheduler it waits on.
    echo::EchoService service({.prefix = options.prefix,
                               .recv_size = options.recv_size,
                               .log = options.quiet ? nullptr : stdout,
                               .max_connections = options.max_connections,
                               .idle_timeout = from_seconds(options.idle_timeout_s),
                               .drainable = options.shutdown_timeout_s > 0});
    Shutdown shutdown{.timeout = from_seconds(options.shutdown_timeout_s)};
    Scheduler scheduler({.backend = options.backend, .on_task_error = report_task_error});
    SignalSet signals{SIGINT, SIGTERM, SIGUSR1};
    TcpListener listener = TcpListener::bind(options.listen_on);
    std::printf("Listening on %s (backend %s)\n", listener.local_address().to_string().c_str(),
                std::string(scheduler.backend_name()).c_str());
    std::fflush(stdout);

    scheduler.spawn(
        serve(std::move(listener), &service, shutdown.accepting.get_token(), &exit_code));
    scheduler.spawn(handle_signals(&signals, &service, &shutdown, options.quiet));
    scheduler.run();
    if (options.stats) service.print_stats(stderr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tasknet-echo: %s\n", error.what());
    return 1;
  }
  return exit_code;
}
