// The tie between an owned descriptor and the scheduler it waits on. The scheduler's registry
// points at each tie, so a scheduler that goes first can cut it (the descriptor stays open,
// bound to none); the tie follows its FileDescriptor when that moves.
#pragma once

#include <vector>

namespace tasknet {
class Scheduler;
}

namespace tasknet::detail {

class Registration {
 public:
  /// The scheduler `fd` is bound to, or null.
  [[nodiscard]] Scheduler* scheduler() const noexcept { return scheduler_; }

  /// Binds `fd` to `scheduler` on its first wait. Throws std::logic_error if it is bound to
  /// another scheduler already.
  Scheduler& bind(Scheduler& scheduler, int fd) {
    return scheduler_ == &scheduler ? scheduler : bind_first_time(scheduler, fd);
  }

  /// Takes over `other`'s tie to `fd` (a moved FileDescriptor).
  void take_over(Registration& other, int fd) noexcept;

  /// `fd` is about to be closed: its scheduler forgets it, and the tie is cut.
  void unbind(int fd) noexcept;

  /// The scheduler is going: the tie is cut on its side.
  void release() noexcept { scheduler_ = nullptr; }

 private:
  Scheduler& bind_first_time(Scheduler& scheduler, int fd);

  Scheduler* scheduler_ = nullptr;
};

/// A scheduler's record of the descriptors bound to it, by number.
class DescriptorRegistry {
 public:
  DescriptorRegistry() = default;
  DescriptorRegistry(const DescriptorRegistry&) = delete;
  DescriptorRegistry& operator=(const DescriptorRegistry&) = delete;
  /// Cuts every tie still there.
  ~DescriptorRegistry() {
    for (Registration* tie : by_fd_) {
      if (tie != nullptr) tie->release();
    }
  }

  /// Throws std::bad_alloc.
  void enroll(int fd, Registration& tie) {
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1, nullptr);
    by_fd_[fd] = &tie;
  }
  /// `fd` was enrolled: no growth.
  void follow(int fd, Registration& tie) noexcept { by_fd_[fd] = &tie; }
  void withdraw(int fd) noexcept {
    if (static_cast<std::size_t>(fd) < by_fd_.size()) by_fd_[fd] = nullptr;
  }

 private:
  std::vector<Registration*> by_fd_;
};

}  // namespace tasknet::detail
