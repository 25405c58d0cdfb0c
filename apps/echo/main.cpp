// tasknet-echo: the seed's echo server. Listens on port 25000 (or --port), answers each receive
// of up to 1000 bytes with "GOT:" and those bytes, and serves any number of clients at once, on
// one thread or (--threads N) on N threads that share nothing. SIGINT or SIGTERM stops it: it
// stops accepting, closes the connections and exits 0 (with --shutdown-timeout, exchanges under
// way may finish first). SIGUSR1 prints its statistics. What it prints never stops it: the lines
// go through bounded queues (output_log.hpp), and a stdout whose reader has gone
// (`tasknet-echo | head`) only ends the logging there. Under systemd it serves the sockets it was
// given (socket activation) and says when it is ready and when it stops (Type=notify): see
// deploy/systemd/.
//
// Try it:  tasknet-echo &   then   nc localhost 25000
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "command_line.hpp"
#include "echo_worker.hpp"
#include "output_log.hpp"
#include "systemd_notifier.hpp"
#include "systemd_sockets.hpp"
#include "tasknet/tasknet.hpp"

namespace {

using namespace tasknet;
using echo::Doorbell;
using echo::OutputLog;
using echo::SystemdNotifier;

std::size_t thread_count(const echo::CommandLine& options) {
  if (options.threads > 0) return options.threads;
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<std::size_t>(online) : 1;
}

/// Each worker's listeners. Bound here, one per worker: the first picks the port (with --port 0),
/// the others join it through SO_REUSEPORT. Or, when systemd passed `activated` sockets (then
/// --host and --port are not used), every worker accepts on a duplicate of each: they share the
/// socket's one accept queue, and the kernel hands each connection to one of the accepts waiting
/// there. Not SO_REUSEPORT listeners of our own beside systemd's socket: unless its unit says
/// ReusePort=yes, binding its port again fails; and connections queued on systemd's socket
/// while the service was (re)starting, which socket activation exists to keep, would be served
/// by nobody. Accepted connections inherit the listener's keepalive, adopted sockets included.
std::vector<std::vector<TcpListener>> bind_listeners(const echo::CommandLine& command_line,
                                                     std::size_t count,
                                                     std::vector<FileDescriptor> activated) {
  const Address& address = command_line.listen_on;
  ListenOptions options{.reuse_port = count > 1};
  if (command_line.keepalive_s > 0) {
    options.keepalive = KeepAlive::after_silence_of(std::chrono::seconds{command_line.keepalive_s});
  }
  std::vector<std::vector<TcpListener>> listeners(count);
  if (!activated.empty()) {
    for (FileDescriptor& socket : activated) {
      const int fd = socket.get();
      listeners.front().push_back(TcpListener::adopt(std::move(socket), options));
      for (std::size_t worker = 1; worker < count; ++worker) {
        const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) throw std::system_error(errno, std::system_category(), "dup of a socket");
        listeners[worker].push_back(TcpListener::adopt(FileDescriptor{copy}, options));
      }
    }
    return listeners;
  }
  listeners.front().push_back(TcpListener::bind(address, options));
  const Address bound = address.with_port(listeners.front().front().local_address().port());
  for (std::size_t worker = 1; worker < count; ++worker) {
    listeners[worker].push_back(TcpListener::bind(bound, options));
  }
  return listeners;
}

/// "127.0.0.1:25000", or "0.0.0.0:25000, [::]:25000" for several.
std::string listening_addresses(const std::vector<TcpListener>& listeners) {
  std::string text;
  for (const TcpListener& listener : listeners) {
    if (!text.empty()) text += ", ";
    text += listener.local_address().to_string();
  }
  return text;
}

/// Tells systemd (when it asked: Type=notify) what the server is doing; a failure to is said on
/// stderr and changes nothing else.
void notify(const SystemdNotifier& systemd, std::string_view state, OutputLog& errors) {
  const std::string failure = systemd.notify(state);
  if (!failure.empty()) errors.print("tasknet-echo: cannot notify systemd: %s\n", failure.c_str());
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
                           const echo::CommandLine* options, const SystemdNotifier* systemd,
                           OutputLog* output, OutputLog* errors) {
  bool draining = false;
  for (;;) {
    const int signal = co_await signals->wait();
    if (signal == SIGUSR1) {
      total_stats(*workers).print(*errors);
      continue;
    }
    const bool now = draining || options->shutdown_timeout_s == 0;
    if (!draining) notify(*systemd, "STOPPING=1", *errors);
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
    // Read (and unset) before any thread starts: the environment is not for threads to share.
    std::vector<FileDescriptor> activated = echo::sockets_from_systemd();
    const SystemdNotifier systemd = SystemdNotifier::from_environment();

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

    if (!systemd.problem().empty()) errors.print("tasknet-echo: %s\n", systemd.problem().c_str());
    const bool from_systemd = !activated.empty();
    const std::size_t threads = thread_count(options);
    std::vector<std::vector<TcpListener>> listeners =
        bind_listeners(options, threads, std::move(activated));
    const std::string addresses = listening_addresses(listeners.front());
    const std::size_t connection_share =
        (options.max_connections + threads - 1) / threads;  // 0 stays 0: no limit
    Workers workers;
    for (std::vector<TcpListener>& worker_listeners : listeners) {
      workers.push_back(std::make_unique<echo::EchoWorker>(options, std::move(worker_listeners),
                                                           connection_share, output, errors));
    }
    output.print("Listening on %s (backend %s%s%s)\n", addresses.c_str(),
                 std::string(workers.front()->backend_name()).c_str(),
                 threads > 1 ? (", " + std::to_string(threads) + " threads").c_str() : "",
                 from_systemd ? ", sockets from systemd" : "");

    for (const auto& worker : workers) worker->start(finished);
    notify(systemd, "READY=1", errors);
    supervisor.spawn(pass_on_signals(&signals, &workers, &options, &systemd, &output, &errors));
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
