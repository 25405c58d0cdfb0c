// tasknet-echo: the seed's echo server. Listens on port 25000 (or --port), answers each receive
// of up to 1000 bytes with "GOT:" and those bytes, and serves any number of clients at once, on
// one thread or (--threads N) on N threads that share nothing. SIGINT or SIGTERM stops it: it
// stops accepting, closes the connections and exits 0 (with --shutdown-timeout, exchanges under
// way may finish first). SIGUSR1 prints its statistics. What it prints never stops it: the lines
// go through bounded queues (output_log.hpp), and a stdout whose reader has gone
// (`tasknet-echo | head`) only ends the logging there.
//
// Try it:  tasknet-echo &   then   nc localhost 25000
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <vector>

#include "command_line.hpp"
#include "echo_worker.hpp"
#include "output_log.hpp"
#include "tasknet/tasknet.hpp"

namespace {

using namespace tasknet;
using echo::Doorbell;
using echo::OutputLog;

std::size_t thread_count(const echo::CommandLine& options) {
  if (options.threads > 0) return options.threads;
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<std::size_t>(online) : 1;
}

/// Binds one listener per worker: the first picks the port (with --port 0), the others join it
/// through SO_REUSEPORT. Accepted connections inherit the listener's keepalive.
std::vector<TcpListener> bind_listeners(const echo::CommandLine& command_line, std::size_t count) {
  const Address& address = command_line.listen_on;
  ListenOptions options{.reuse_port = count > 1};
  if (command_line.keepalive_s > 0) {
    options.keepalive = KeepAlive::after_silence_of(std::chrono::seconds{command_line.keepalive_s});
  }
  std::vector<TcpListener> listeners;
  listeners.push_back(TcpListener::bind(address, options));
  const Address bound = address.with_port(listeners.front().local_address().port());
  while (listeners.size() < count) listeners.push_back(TcpListener::bind(bound, options));
  return listeners;
}

using Workers = std::vector<std::unique_ptr<echo::EchoWorker>>;

echo::StatsSnapshot total_stats(const Workers& workers) {
  echo::StatsSnapshot total;
  for (const auto& worker : workers) total += worker->stats();
  return total;
}

/// The main thread's first job once the workers run: signals (blocked in every thread, so they
/// all come here) passed on to every worker.
Task<void> pass_on_signals(SignalSet* signals, const Workers* workers,
                           const echo::CommandLine* options, OutputLog* output, OutputLog* errors) {
  bool draining = false;
  for (;;) {
    const int signal = co_await signals->wait();
    if (signal == SIGUSR1) {
      total_stats(*workers).print(*errors);
      continue;
    }
    const bool now = draining || options->shutdown_timeout_s == 0;
    if (!options->quiet) output->print("%s on signal %d\n", now ? "Stopping" : "Draining", signal);
    for (const auto& worker : *workers) now ? worker->stop() : worker->drain();
    draining = true;
  }
}

/// Its second: ending when every worker has finished, and stopping the others as soon as one
/// fails (its listener broke: there is no serving that port the way it was asked).
Task<void> watch_workers(Doorbell* finished, const Workers* workers) {
  for (;;) {
    co_await finished->wait();
    bool all_finished = true;
    bool one_failed = false;
    for (const auto& worker : *workers) {
      all_finished = all_finished && worker->finished();
      one_failed = one_failed || (worker->finished() && worker->failed());
    }
    if (one_failed) {
      for (const auto& worker : *workers) worker->stop();
    }
    if (all_finished) {
      (co_await this_scheduler()).stop();
      co_return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that goes away must not kill the server: writes to its pipe fail with EPIPE
  // instead, and the output log stops logging there. (The sockets send with MSG_NOSIGNAL.)
  ::signal(SIGPIPE, SIG_IGN);
  try {
    auto parsed = echo::parse_command_line(argc, argv, std::cout, std::cerr);
    if (const int* usage_exit = std::get_if<int>(&parsed)) return *usage_exit;
    const echo::CommandLine& options = std::get<echo::CommandLine>(parsed);

    // The signals are blocked before any worker starts, so that every thread inherits the mask
    // and they all come to this descriptor. The supervisor (this thread's scheduler) is
    // declared after what its tasks wait on, so that it and its tasks go first.
    SignalSet signals{SIGINT, SIGTERM, SIGUSR1};
    // The output writers start once the signals are blocked, so that they inherit the mask;
    // stderr first: stdout says there when it fails.
    OutputLog errors(STDERR_FILENO, "stderr", nullptr);
    OutputLog output(STDOUT_FILENO, "stdout", &errors);
    Doorbell finished;                                 // rung by each worker as it finishes
    Scheduler supervisor({.backend = Backend::poll});  // two descriptors: poll needs no third

    const std::size_t threads = thread_count(options);
    std::vector<TcpListener> listeners = bind_listeners(options, threads);
    const Address bound = listeners.front().local_address();
    const std::size_t connection_share =
        (options.max_connections + threads - 1) / threads;  // 0 stays 0: no limit
    Workers workers;
    for (TcpListener& listener : listeners) {
      workers.push_back(std::make_unique<echo::EchoWorker>(options, std::move(listener),
                                                           connection_share, output, errors));
    }
    output.print("Listening on %s (backend %s%s)\n", bound.to_string().c_str(),
                 std::string(workers.front()->backend_name()).c_str(),
                 threads > 1 ? (", " + std::to_string(threads) + " threads").c_str() : "");

    for (const auto& worker : workers) worker->start(finished);
    supervisor.spawn(pass_on_signals(&signals, &workers, &options, &output, &errors));
    supervisor.spawn(watch_workers(&finished, &workers));
    supervisor.run();
    int exit_code = 0;
    for (const auto& worker : workers) exit_code = std::max(exit_code, worker->join());
    if (options.stats) total_stats(workers).print(errors);
    return exit_code;  // the logs' destructors write out what is queued (for up to a second)
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tasknet-echo: %s\n", error.what());
    return 1;
  }
}
