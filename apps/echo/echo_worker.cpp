#include "echo_worker.hpp"

#include <pthread.h>

#include <system_error>

#include "tasknet/net/tcp_server.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet::echo {

namespace {

void report_task_error(OutputLog& errors, std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    errors.print("tasknet-echo: a connection failed: %s\n", e.what());
  } catch (...) {
    errors.write("tasknet-echo: a connection failed\n");
  }
}

}  // namespace

EchoWorker::EchoWorker(const CommandLine& options, std::vector<TcpListener> listeners,
                       std::size_t connection_share, OutputLog& output, OutputLog& errors)
    : errors_(errors),
      service_({.prefix = options.prefix,
                .recv_size = options.recv_size,
                .log = options.quiet ? nullptr : &output,
                .max_connections = connection_share,
                .idle_timeout = from_seconds(options.idle_timeout_s),
                .drainable = options.shutdown_timeout_s > 0,
                .proxy_protocol = options.proxy_protocol,
                .proxy_protocol_from = options.proxy_protocol_from}),
      scheduler_({.backend = options.backend,
                  .on_task_error =
                      [&errors](std::exception_ptr error) {
                        report_task_error(errors, std::move(error));
                      }}),
      shutdown_timeout_(from_seconds(options.shutdown_timeout_s)) {
  for (TcpListener& listener : listeners) scheduler_.spawn(serve(std::move(listener)));
  scheduler_.spawn(answer_doorbell());
  scheduler_.spawn(trim_buffers_now_and_then());
}

EchoWorker::~EchoWorker() {
  if (thread_.joinable()) {
    stop();
    thread_.join();
  }
}

void EchoWorker::start(Doorbell& finished) {
  thread_ = std::jthread([this, &finished] {
    // Named, so that top -H, perf and the tests can tell the workers apart.
    ::pthread_setname_np(::pthread_self(), "echo-worker");
    scheduler_.run();
    finished_.store(true);  // after exit_code_ is final: whoever sees this may read it
    finished.ring();
  });
}

int EchoWorker::join() {
  if (thread_.joinable()) thread_.join();
  return exit_code_;
}

void EchoWorker::ring(Command command) {
  command_.store(command);
  doorbell_.ring();
}

Task<void> EchoWorker::serve(TcpListener listener) {
  // Named, not braced inside the co_await: GCC 12 destroys such a temporary twice, and the
  // token's shared state with it (valgrind caught it; see docs/design.md).
  TcpServerOptions options{.stop = accepting_.get_token(),
                           .on_accept_error = [this](const std::system_error& error) {
                             service_.accept_failed(error, &errors_);
                           }};
  try {
    co_await tcp_server(
        std::move(listener),
        [this](Socket client, Address address) {
          return service_.connection_handler(std::move(client), address);
        },
        std::move(options));
  } catch (const std::exception& error) {
    errors_.print("tasknet-echo: %s\n", error.what());
    exit_code_ = 1;
  }
  // Returning normally means accepting was stopped for a graceful shutdown: the rest goes on.
  if (exit_code_ != 0) scheduler_.stop();
}

Task<void> EchoWorker::answer_doorbell() {
  for (;;) {
    co_await doorbell_.wait();
    const Command command = command_.load();
    if (command == Command::stop || shutdown_timeout_ == Clock::duration::zero()) {
      scheduler_.stop();
      co_return;
    }
    if (command == Command::drain && !draining_) {
      draining_ = true;
      accepting_.request_stop();  // on this thread: the accept loop's stop callback runs here
      service_.begin_drain();
      scheduler_.spawn(stop_when_drained(after(shutdown_timeout_)));
    }
  }
}

Task<void> EchoWorker::stop_when_drained(TimePoint deadline) {
  while (service_.stats().open > 0 && Clock::now() < deadline) {
    co_await sleep_for(std::chrono::milliseconds(5));
  }
  scheduler_.stop();  // what is left is closed as the scheduler goes
}

Task<void> EchoWorker::trim_buffers_now_and_then() {
  // Ends when the scheduler stops (shutdown, or a failed listener), like every task left.
  for (;;) {
    co_await sleep_for(std::chrono::seconds(1));
    service_.trim_buffers();
  }
}

}  // namespace tasknet::echo
