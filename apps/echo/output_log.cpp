#include "output_log.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

namespace tasknet::echo {

struct OutputLog::State {
  int fd;
  const char* name;
  std::size_t bound;
  std::shared_ptr<State> errors;  // where a failed write is reported; null for none

  std::mutex mutex;
  std::condition_variable wake;     // the writer: something queued, or closing
  std::condition_variable drained;  // flush(): the queue went out, or writing failed
  std::string pending;              // lines queued, never more than `bound` bytes
  std::size_t dropped = 0;          // lines refused since the writer last took the queue
  bool writing = false;             // the writer holds a batch taken from the queue
  bool failed = false;              // a write failed: nothing more is taken
  bool closing = false;             // the writer ends once the queue is empty

  void queue(std::string_view line) noexcept;
  void run();
  /// Writes all of `data`; 0, or the errno that stopped it.
  int write_all(std::string_view data) const;
};

void OutputLog::State::queue(std::string_view line) noexcept {
  const std::lock_guard lock(mutex);
  if (failed || closing) return;
  if (pending.size() + line.size() > bound) {
    ++dropped;
    return;
  }
  try {
    const bool writer_may_sleep = pending.empty();
    pending.append(line);
    if (writer_may_sleep) wake.notify_one();
  } catch (const std::bad_alloc&) {
    ++dropped;
  }
}

int OutputLog::State::write_all(std::string_view data) const {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written > 0) {
      data.remove_prefix(static_cast<std::size_t>(written));
    } else if (written < 0 && errno == EINTR) {
      continue;
    } else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Someone else made the shared description non-blocking: wait here, on this thread.
      pollfd one{fd, POLLOUT, 0};
      ::poll(&one, 1, -1);
    } else {
      return written < 0 ? errno : EIO;
    }
  }
  return 0;
}

void OutputLog::State::run() {
  // Signals belong to the main thread's SignalSet (SIGPIPE is ignored: EPIPE comes back here).
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::string batch;
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait(lock, [this] { return !pending.empty() || dropped > 0 || closing; });
    if (pending.empty() && dropped == 0) break;  // closing, and all written
    // Every line dropped came after every line queued: the count goes after them.
    batch.swap(pending);
    if (dropped > 0) {
      batch += "tasknet-echo: " + std::to_string(dropped) + " log lines dropped\n";
      dropped = 0;
    }
    writing = true;
    lock.unlock();
    const int error = write_all(batch);
    batch.clear();
    lock.lock();
    writing = false;
    if (error != 0) {
      failed = true;
      pending.clear();
      pending.shrink_to_fit();
      drained.notify_all();
      lock.unlock();
      if (errors) {
        errors->queue(std::string("tasknet-echo: logging to ") + name +
                      " stopped: " + std::strerror(error) + "\n");
      }
      return;
    }
    if (pending.empty() && dropped == 0) drained.notify_all();
  }
}

OutputLog::OutputLog(int fd, const char* name, OutputLog* errors, std::size_t bound)
    : state_(std::make_shared<State>()) {
  state_->fd = fd;
  state_->name = name;
  state_->bound = bound;
  if (errors != nullptr) state_->errors = errors->state_;
  writer_ = std::thread([state = state_] {
    ::pthread_setname_np(::pthread_self(), "echo-output");
    state->run();
  });
}

OutputLog::~OutputLog() {
  const bool flushed = flush(std::chrono::seconds(1));
  {
    const std::lock_guard lock(state_->mutex);
    state_->closing = true;
    state_->wake.notify_one();
  }
  // A writer stuck in a write (a full pipe nobody reads) must not hold the exit up: it keeps the
  // state alive and ends with the process.
  if (flushed) {
    writer_.join();
  } else {
    writer_.detach();
  }
}

void OutputLog::write(std::string_view line) noexcept {
  state_->queue(line);
}

void OutputLog::print(const char* format, ...) noexcept {
  char line[512];
  va_list arguments;
  va_start(arguments, format);
  const int size = std::vsnprintf(line, sizeof line, format, arguments);
  va_end(arguments);
  if (size < 0) return;
  if (static_cast<std::size_t>(size) < sizeof line) {
    write({line, static_cast<std::size_t>(size)});
    return;
  }
  try {
    std::string long_line(static_cast<std::size_t>(size) + 1, '\0');
    va_start(arguments, format);
    std::vsnprintf(long_line.data(), long_line.size(), format, arguments);
    va_end(arguments);
    long_line.pop_back();
    write(long_line);
  } catch (const std::bad_alloc&) {
    write({line, sizeof line - 1});
  }
}

bool OutputLog::flush(std::chrono::milliseconds limit) noexcept {
  std::unique_lock lock(state_->mutex);
  return state_->drained.wait_for(lock, limit, [this] {
    return state_->failed || (state_->pending.empty() && state_->dropped == 0 && !state_->writing);
  });
}

}  // namespace tasknet::echo
