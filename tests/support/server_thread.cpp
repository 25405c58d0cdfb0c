#include "server_thread.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <future>
#include <system_error>

#include "tasknet/wait.hpp"

namespace tasknet::testing {
namespace {

Task<void> stop_when_readable(int stop_fd) {
  co_await readable(stop_fd);
  (co_await this_scheduler()).stop();
}

}  // namespace

ServerThread::ServerThread(Backend backend, Setup setup) {
  if (::pipe2(stop_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::system_category(), "pipe2");
  }
  std::promise<std::uint16_t> started;
  std::future<std::uint16_t> port = started.get_future();
  thread_ = std::thread([this, backend, setup = std::move(setup), &started] {
    bool announced = false;  // after that, `started` belongs to a constructor that has returned
    try {
      Scheduler scheduler(
          {.backend = backend, .on_task_error = [this](std::exception_ptr) { ++task_errors_; }});
      TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
      const std::uint16_t bound = listener.local_address().port();
      setup(scheduler, std::move(listener));
      scheduler.spawn(stop_when_readable(stop_pipe_[0]));
      started.set_value(bound);
      announced = true;
      scheduler.run();
    } catch (...) {
      if (announced) {
        run_error_ = std::current_exception();  // reported when the test stops the server
      } else {
        started.set_exception(std::current_exception());
      }
    }
  });
  try {
    port_ = port.get();
  } catch (...) {
    thread_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
    throw;
  }
}

ServerThread::~ServerThread() {
  const char stop = 's';
  [[maybe_unused]] const ssize_t n = ::write(stop_pipe_[1], &stop, 1);
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  if (run_error_) {
    try {
      std::rethrow_exception(run_error_);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "the server's scheduler failed: " << error.what();
    }
  }
}

}  // namespace tasknet::testing
