#include "doorbell.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace tasknet::echo {

namespace {

int make_eventfd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "eventfd");
  return fd;
}

}  // namespace

Doorbell::Doorbell() : fd_(make_eventfd()) {}

void Doorbell::ring() noexcept {
  const std::uint64_t one = 1;
  // It can fail only when the count would overflow: rung already, which is all that matters.
  [[maybe_unused]] const ssize_t written = ::write(fd_.get(), &one, sizeof one);
}

Task<void> Doorbell::wait() {
  std::array<char, sizeof(std::uint64_t)> count;  // an eventfd reads as its 8-byte count
  for (;;) {
    co_await fd_.readable();
    if (fd_.try_read(count)) co_return;  // else not rung after all: the next wait parks
  }
}

}  // namespace tasknet::echo
