// A tasknet server running on its own thread and scheduler, listening on 127.0.0.1 port 0.
// The test talks to it through real sockets and stops it through a pipe the server waits on.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <thread>

#include "tasknet/backend.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"

namespace tasknet::testing {

class ServerThread {
 public:
  /// Called on the server thread with the scheduler and a bound listener: spawn the server.
  using Setup = std::function<void(Scheduler&, TcpListener)>;

  ServerThread(Backend backend, Setup setup);
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  /// Stops the scheduler and joins the thread; a failure of its run() fails the test.
  ~ServerThread();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// How many of the server's detached tasks have ended with an exception so far.
  [[nodiscard]] int task_errors() const noexcept { return task_errors_.load(); }

 private:
  int stop_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<int> task_errors_{0};
  std::exception_ptr run_error_;
  std::thread thread_;
};

}  // namespace tasknet::testing
