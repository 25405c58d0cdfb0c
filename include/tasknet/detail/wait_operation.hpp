// The base of every awaitable that may park its task: it hands its wait to the scheduler (which
// gives a wait on a descriptor to its driver, and a deadline to its timers), arms a stop callback
// while the task waits, and takes the wait back if the frame is destroyed first.
#pragma once

#include <coroutine>
#include <optional>
#include <stop_token>

#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/waiter.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet::detail {

class WaitOperation : protected Waiter {
 public:
  WaitOperation(const WaitOperation&) = delete;
  WaitOperation& operator=(const WaitOperation&) = delete;
  ~WaitOperation() {
    if (state != WaitState::idle) leave();  // the frame is being destroyed while the task waits
    if (on_stop_ != nullptr) drop_stop_callback();
  }

  [[nodiscard]] bool await_ready() const noexcept { return false; }

 protected:
  /// `fd` < 0 waits on the deadline alone. `io` null: a plain readiness wait.
  /// `trusted`: whether every operation on the descriptor keeps the driver's record of its
  /// readiness current (true for descriptors tasknet owns), so that a plain wait may finish at
  /// once when the poller reported it ready, and may rely on the next edge after EAGAIN.
  WaitOperation(int descriptor, Direction way, const WaitOptions& options, const Operation* io,
                bool trusted) noexcept
      : stop_(options.stop.token()) {
    fd = descriptor;
    direction = way;
    operation = io;
    trust_readiness = trusted;
    if (options.deadline) {
      has_deadline = true;
      deadline = *options.deadline;
    }
  }

  /// Finishes the operation at once if it can, otherwise parks the task until it finishes, the
  /// deadline passes or stop is requested (the wait's own stop, or the task's cancellation).
  /// Returns whether the task stays suspended. Throws what Driver::start throws.
  template <typename Promise>
  bool start(Scheduler& scheduler, std::coroutine_handle<Promise> awaiting) {
    return start_under(scheduler, awaiting, awaiting.promise().cancellation());
  }
  bool start_under(Scheduler& scheduler, std::coroutine_handle<> task,
                   const std::stop_token* cancellation);

  /// After a timed-out or cancelled wait: throws TimedOut or Cancelled, naming `what`.
  void throw_if_interrupted(const char* what) const {
    if (status != WaitStatus::ready) throw_interrupted(what);
  }

 private:
  void leave() noexcept;
  void drop_stop_callback() noexcept;
  [[noreturn]] void throw_interrupted(const char* what) const;

  struct CancelOnStop {
    WaitOperation* operation;
    void operator()() const noexcept;
  };
  using StopCallback = std::stop_callback<CancelOnStop>;
  struct StopCallbacks {
    std::optional<StopCallback> own;           // the wait's WaitOptions::stop
    std::optional<StopCallback> cancellation;  // the task's: its group's or timeout's
  };

  Scheduler* scheduler_ = nullptr;
  std::stop_token stop_;
  // Only a wait that can be stopped while parked has them, in a block from the scheduler's pool:
  // every awaiter lives in its coroutine's frame for the frame's whole life (GCC gives each its
  // own slot), so an idle connection should not pay for cancellation it never asked for, and a
  // stream of cancellable waits should not cost an allocation each.
  StopCallbacks* on_stop_ = nullptr;
};

}  // namespace tasknet::detail
