// signalfd(2) behind SignalSet.
#include "tasknet/signal_set.hpp"

#include <pthread.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tasknet {

SignalSet::SignalSet(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signal : signals) {
    if (sigaddset(&mask, signal) != 0) {
      throw std::system_error(errno, std::system_category(),
                              "signal set: signal " + std::to_string(signal));
    }
  }
  if (const int error = pthread_sigmask(SIG_BLOCK, &mask, &previous_mask_); error != 0) {
    throw std::system_error(error, std::system_category(), "pthread_sigmask");
  }
  const int fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
    throw std::system_error(error, std::system_category(), "signalfd");
  }
  fd_ = FileDescriptor{fd};
}

struct SignalSet::Waiting {
  SignalSet* set;

  explicit Waiting(SignalSet& waited_on) : set(&waited_on) {
    if (set->waiting_ != nullptr) {
      throw std::logic_error("tasknet: a second task waiting on the same SignalSet");
    }
    set->waiting_ = this;
  }
  Waiting(const Waiting&) = delete;
  Waiting& operator=(const Waiting&) = delete;
  ~Waiting() {
    if (set != nullptr) set->waiting_ = nullptr;
  }
};

SignalSet::~SignalSet() {
  // The waiting task learns it here rather than from the wait's status: closing the descriptor
  // ends its wait as cancelled, and a wait that had already ended ready may still be queued to
  // resume. Either way it must not come back to fd_.
  if (waiting_ != nullptr) waiting_->set = nullptr;
  fd_.close();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

Task<int> SignalSet::wait(const WaitOptions& options) {
  // Not a coroutine itself: the token is copied now, into the frame of the one that waits.
  return next_signal(options.deadline, options.stop.token());
}

Task<int> SignalSet::next_signal(std::optional<TimePoint> deadline, std::stop_token stop) {
  Waiting waiting{*this};
  for (;;) {
    signalfd_siginfo info{};
    const auto got = fd_.try_read({reinterpret_cast<char*>(&info), sizeof info});
    if (got && *got == sizeof info) co_return static_cast<int>(info.ssi_signo);
    const WaitStatus status = co_await fd_.readable({.deadline = deadline, .stop = stop});
    if (waiting.set == nullptr) throw Cancelled("signal wait (the signal set was destroyed)");
    if (status == WaitStatus::timed_out) throw TimedOut("signal wait");
    if (status == WaitStatus::cancelled) throw Cancelled("signal wait");
  }
}

}  // namespace tasknet
