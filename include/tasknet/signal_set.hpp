// Signals as something a task awaits, like Asio's signal_set: the set's signals are blocked and
// delivered through a descriptor, so a handler runs as ordinary task code, not in signal context.
#pragma once

#include <csignal>
#include <initializer_list>

#include "tasknet/file_descriptor.hpp"
#include "tasknet/task.hpp"

namespace tasknet {

class SignalSet {
 public:
  /// Blocks `signals` in the calling thread (threads started later inherit that) and opens a
  /// signalfd for them. Create it before starting threads. Throws std::system_error.
  explicit SignalSet(std::initializer_list<int> signals);
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;
  /// Closes the descriptor and restores the thread's previous signal mask.
  ~SignalSet();

  /// The number of the next signal of the set to arrive.
  Task<int> wait();

 private:
  FileDescriptor fd_;
  sigset_t previous_mask_;
};

}  // namespace tasknet
