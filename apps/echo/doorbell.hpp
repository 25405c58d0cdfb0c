// A wake-up from one thread to a task on another: any thread rings, one task waits. It is an
// eventfd, so the waiting scheduler's poller wakes for it as for any other descriptor.
#pragma once

#include "tasknet/file_descriptor.hpp"
#include "tasknet/task.hpp"

namespace tasknet::echo {

class Doorbell {
 public:
  /// Throws std::system_error when the eventfd cannot be made.
  Doorbell();

  /// From any thread. Rings before the next wait() are merged into one.
  void ring() noexcept;
  /// On the waiting scheduler's thread: returns once the bell has rung since the last wait().
  Task<void> wait();

 private:
  FileDescriptor fd_;
};

}  // namespace tasknet::echo
