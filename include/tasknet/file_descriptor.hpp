// An owned descriptor that tasks can wait on. It is tied to the scheduler it waited on, so that
// closing it first removes it from that scheduler's driver: a descriptor number reused by the
// kernel never inherits a stale registration.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <utility>

#include "tasknet/detail/registration.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {

class FileDescriptor {
 public:
  FileDescriptor() noexcept = default;
  /// Adopts `fd`, which should be non-blocking.
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { close(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_open(); }

  /// Closes the descriptor. A task still waiting on it resumes with WaitStatus::cancelled.
  void close() noexcept;

  /// Waits until readable (see ReadinessWait). Finishes at once if the last operation of
  /// tasknet's on it (try_read, or the backend's report) found it readable and did not drain it;
  /// after a read of your own on get(), it asks the backend.
  [[nodiscard]] ReadinessWait readable(const WaitOptions& options = no_limits) noexcept {
    return ReadinessWait{fd_, Direction::readable, options, this};
  }
  /// Waits until writable (see ReadinessWait).
  [[nodiscard]] ReadinessWait writable(const WaitOptions& options = no_limits) noexcept {
    return ReadinessWait{fd_, Direction::writable, options, this};
  }

  /// One read(2) without waiting: the bytes read (0 at end of file), or nullopt if it would
  /// block (and the next wait parks). Throws std::system_error for other errors. EINTR is
  /// retried.
  std::optional<std::size_t> try_read(std::span<char> buffer);

  /// Records that the descriptor was found not ready in `direction` (EAGAIN or a short read), so
  /// the next wait parks instead of finishing at once.
  void mark_not_ready(Direction direction) const noexcept {
    record(direction, detail::Attempt::would_block);
  }

  /// Records what an operation of the caller's found (see Driver::record).
  void record(Direction direction, detail::Attempt outcome) const noexcept;

  /// The scheduler this descriptor is bound to after its first wait, or null.
  [[nodiscard]] Scheduler* scheduler() const noexcept { return registration_.scheduler(); }

  /// Binds the descriptor to `scheduler` (done by the first wait). Throws std::logic_error if it
  /// is already bound to another one.
  Scheduler& attach(Scheduler& scheduler) { return registration_.bind(scheduler, fd_); }

 private:
  int fd_ = -1;
  detail::Registration registration_;
};

}  // namespace tasknet
