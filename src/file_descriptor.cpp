// Owned descriptors that leave their scheduler's waiting areas before they close.
#include "tasknet/file_descriptor.hpp"

#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "tasknet/scheduler.hpp"

namespace tasknet {

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), scheduler_(std::exchange(other.scheduler_, nullptr)) {
  follow_move();
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    scheduler_ = std::exchange(other.scheduler_, nullptr);
    follow_move();
  }
  return *this;
}

void FileDescriptor::follow_move() noexcept {
  // The scheduler's table has this descriptor's entry already (it was attached): no growth.
  if (scheduler_ != nullptr) scheduler_->waiting_[fd_].owner = this;
}

void FileDescriptor::close() noexcept {
  if (fd_ < 0) return;
  if (scheduler_ != nullptr) scheduler_->forget_fd(fd_);
  // Linux releases the descriptor even when close() reports EINTR: never retry it.
  ::close(fd_);
  fd_ = -1;
  scheduler_ = nullptr;
}

Scheduler& FileDescriptor::attach_first_time(Scheduler& scheduler) {
  if (scheduler_ == nullptr) {
    scheduler.set_owner(fd_, this);
    scheduler_ = &scheduler;
  } else if (scheduler_ != &scheduler) {
    throw std::logic_error("tasknet: fd " + std::to_string(fd_) +
                           " is bound to another scheduler; a descriptor belongs to one");
  }
  return *scheduler_;
}

std::optional<std::size_t> FileDescriptor::try_read(std::span<char> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
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
