// Signals as something a task awaits, like Asio's signal_set: the set's signals are blocked and
// delivered through a descriptor, so a handler runs as ordinary task code, not in signal context.
#pragma once

#include <csignal>
#include <initializer_list>
#include <optional>
#include <stop_token>

#include "tasknet/clock.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/task.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

class SignalSet {
 public:
  /// Blocks `signals` in the calling thread (threads started later inherit that) and opens a
  /// signalfd for them. Create it before starting threads. Throws std::system_error.
  explicit SignalSet(std::initializer_list<int> signals);
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;
  /// Closes the descriptor and restores the thread's previous signal mask. A task waiting on the
  /// set ends its wait as cancelled (see wait()) without touching the set again.
  ~SignalSet();

  /// The number of the next signal of the set to arrive: at once if one is pending, otherwise
  /// when one arrives. The task is resumed by its scheduler when the signalfd becomes readable,
  /// the deadline passes or stop is requested. The options are read when wait() is called, so
  /// the token need not outlive the call. A pending signal is given even when the token is
  /// already stopped.
  ///
  /// Ends as the library's value-producing operations do (recv, accept): throws TimedOut at the
  /// deadline, and Cancelled when stop is requested or when the set is destroyed while the task
  /// waits (the wait then never reads the destroyed set). One task at a time may wait: a
  /// second one's wait throws std::logic_error. The set must outlive the call and must still
  /// exist when the returned task starts.
  Task<int> wait(const WaitOptions& options = no_limits);

 private:
  /// A waiting task's link to its set, in the task's frame: whichever of the two goes first
  /// unhooks the other, so that a wait whose set was destroyed knows it without reading it.
  struct Waiting;

  Task<int> next_signal(std::optional<TimePoint> deadline, std::stop_token stop);

  FileDescriptor fd_;
  sigset_t previous_mask_;
  Waiting* waiting_ = nullptr;
};

}  // namespace tasknet
