// signalfd(2) behind SignalSet.
#include "tasknet/signal_set.hpp"

#include <pthread.h>
#include <sys/signalfd.h>

#include <cerrno>
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

SignalSet::~SignalSet() {
  fd_.close();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

Task<int> SignalSet::wait() {
  for (;;) {
    signalfd_siginfo info{};
    const auto got = fd_.try_read({reinterpret_cast<char*>(&info), sizeof info});
    if (got && *got == sizeof info) co_return static_cast<int>(info.ssi_signo);
    co_await fd_.readable();
  }
}

}  // namespace tasknet
