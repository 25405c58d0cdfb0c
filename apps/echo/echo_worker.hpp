// One serving thread of tasknet-echo: its own scheduler, poller, listening socket (bound with
// SO_REUSEPORT when there are several, so that the kernel spreads the connections; or, under
// systemd's socket activation, a duplicate of each socket it passed) and service. Workers share
// nothing; the main thread reaches one only through its doorbell.
#pragma once

#include <atomic>
#include <stop_token>
#include <thread>
#include <vector>

#include "command_line.hpp"
#include "doorbell.hpp"
#include "echo_service.hpp"
#include "output_log.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"

namespace tasknet::echo {

class EchoWorker {
 public:
  /// Sets everything up on the calling thread, so that errors (a backend that cannot start)
  /// surface before any thread does. It accepts on every one of `listeners` (one, unless
  /// systemd passed several sockets). `connection_share` is this worker's part of
  /// --max-connections. Its connection lines go to `output` (unless --quiet), its errors to
  /// `errors`: both must outlive it.
  EchoWorker(const CommandLine& options, std::vector<TcpListener> listeners,
             std::size_t connection_share, OutputLog& output, OutputLog& errors);
  EchoWorker(const EchoWorker&) = delete;
  EchoWorker& operator=(const EchoWorker&) = delete;
  ~EchoWorker();

  /// Starts serving on a thread of its own. When it finishes it rings `finished`, so that whoever
  /// supervises it wakes.
  void start(Doorbell& finished);

  // For the main thread.
  /// Graceful shutdown: stop accepting, let exchanges finish until --shutdown-timeout, then end.
  void drain() { ring(Command::drain); }
  /// Ends now: whatever is open is closed.
  void stop() { ring(Command::stop); }
  /// Whether its scheduler has returned (drained, stopped, or failed).
  [[nodiscard]] bool finished() const noexcept { return finished_.load(); }
  /// Once finished(): whether it ended because its listener failed (it has said why on stderr).
  [[nodiscard]] bool failed() const noexcept { return exit_code_ != 0; }
  /// Waits for the thread; then the exit code: 1 when its listener failed, else 0.
  int join();
  [[nodiscard]] StatsSnapshot stats() const noexcept { return service_.stats().snapshot(); }
  [[nodiscard]] std::string_view backend_name() const noexcept { return scheduler_.backend_name(); }

 private:
  enum class Command : int { none, drain, stop };

  void ring(Command command);
  Task<void> serve(TcpListener listener);
  Task<void> answer_doorbell();
  Task<void> stop_when_drained(TimePoint deadline);
  Task<void> trim_buffers_now_and_then();

  // In this order so that the scheduler, destroyed first, takes its tasks with it before the
  // doorbell they wait on and the service whose buffers they borrow.
  OutputLog& errors_;
  EchoService service_;
  Doorbell doorbell_;  // the main thread rings, answer_doorbell() wakes
  Scheduler scheduler_;
  std::atomic<Command> command_{Command::none};
  std::atomic<bool> finished_{false};
  std::stop_source accepting_;
  Clock::duration shutdown_timeout_;
  bool draining_ = false;
  int exit_code_ = 0;
  std::jthread thread_;
};

}  // namespace tasknet::echo
