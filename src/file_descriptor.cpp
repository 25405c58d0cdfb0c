// Owned descriptors that leave their scheduler's driver before they close.
#include "tasknet/file_descriptor.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "tasknet/scheduler.hpp"

namespace tasknet {

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {
  registration_.take_over(other.registration_, fd_);
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    registration_.take_over(other.registration_, fd_);
  }
  return *this;
}

void FileDescriptor::close() noexcept {
  if (fd_ < 0) return;
  registration_.unbind(fd_);
  // Linux releases the descriptor even when close() reports EINTR: never retry it.
  ::close(fd_);
  fd_ = -1;
}

void FileDescriptor::record(Direction direction, detail::Attempt outcome) const noexcept {
  if (Scheduler* scheduler = registration_.scheduler()) {
    detail::SchedulerAccess::driver(*scheduler).record(fd_, direction, outcome);
  }
}

std::optional<std::size_t> FileDescriptor::try_read(std::span<char> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n > 0) record(Direction::readable, detail::Attempt::done);  // there may be more
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      mark_not_ready(Direction::readable);
      return std::nullopt;
    }
    throw std::system_error(errno, std::system_category(), "read");
  }
}

}  // namespace tasknet
