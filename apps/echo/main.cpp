// tasknet-echo: the seed's echo server. Listens on port 25000 (or --port), answers each receive
// of up to 1000 bytes with "GOT:" and those bytes, and serves any number of clients at once.
// SIGINT or SIGTERM stops it: it stops accepting, closes the connections and exits 0. SIGUSR1
// prints its statistics.
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

Task<void> serve(TcpListener listener, echo::EchoService* service, int* exit_code) {
  try {
    co_await tcp_server(std::move(listener),
                        [service](Socket client, Address address) {
                          return service->echo_handler(std::move(client), address);
                        },
                        {.on_accept_error = [service](const std::system_error& error) {
                          service->accept_failed(error, stderr);
                        }});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tasknet-echo: %s\n", error.what());
    *exit_code = 1;
  }
  (co_await this_scheduler()).stop();
}

Task<void> handle_signals(SignalSet* signals, const echo::EchoService* service, bool quiet) {
  for (;;) {
    const int signal = co_await signals->wait();
    if (signal == SIGUSR1) {
      service->print_stats(stderr);
      continue;
    }
    if (!quiet) std::printf("Stopping on signal %d\n", signal);
    (co_await this_scheduler()).stop();
    co_return;
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
                               .idle_timeout = std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.idle_timeout_s))});
    Scheduler scheduler({.backend = options.backend, .on_task_error = report_task_error});
    SignalSet signals{SIGINT, SIGTERM, SIGUSR1};
    TcpListener listener = TcpListener::bind(options.listen_on);
    std::printf("Listening on %s (backend %s)\n", listener.local_address().to_string().c_str(),
                std::string(scheduler.backend_name()).c_str());
    std::fflush(stdout);

    scheduler.spawn(serve(std::move(listener), &service, &exit_code));
    scheduler.spawn(handle_signals(&signals, &service, options.quiet));
    scheduler.run();
    if (options.stats) service.print_stats(stderr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tasknet-echo: %s\n", error.what());
    return 1;
  }
  return exit_code;
}
