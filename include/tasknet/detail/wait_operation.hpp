// The base of every awaitable that may park its task: it tries the operation at once when the
// descriptor may be ready, otherwise parks the task in the scheduler's waiting area for its
// descriptor and direction (and its deadline), and unparks it if the frame is destroyed first.
#pragma once

#include <coroutine>
#include <cstdint>
#include <optional>
#include <stop_token>

#include "tasknet/detail/promise_base.hpp"
#include "tasknet/detail/waiter.hpp"
#include "tasknet/poller.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet::detail {

class WaitOperation : protected Waiter {
 public:
  WaitOperation(const WaitOperation&) = delete;
  WaitOperation& operator=(const WaitOperation&) = delete;
  ~WaitOperation() {
    if (parked) leave();  // the frame is being destroyed while the task waits
    if (on_stop_ != nullptr) drop_stop_callback();
  }

  [[nodiscard]] bool await_ready() const noexcept { return false; }

 protected:
  /// `fd` < 0 waits on the deadline alone. `io` null: a plain readiness wait.
  /// `trusted`: whether every operation on the descriptor keeps the scheduler's record of
  /// its readiness current (true for descriptors tasknet owns), so that a plain wait may finish
  /// at once when the poller reported it ready, and may rely on the next edge after EAGAIN.
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

  /// Readiness backends: tries the operation when the descriptor may be ready, otherwise parks
  /// the task. Completion backends: submits it and parks the task until it completes. Returns
  /// whether the task stays suspended. Throws what Scheduler::park throws.
  bool start(Scheduler& scheduler, std::coroutine_handle<> task);

  /// After a timed-out or cancelled wait: throws std::system_error (std::errc::timed_out or
  /// std::errc::operation_canceled) with `what` as its context.
  void throw_if_interrupted(const char* what) const {
    if (status != WaitStatus::ready) throw_interrupted(what);
  }

  /// For attempts: the descriptor turned out not ready in this direction (EAGAIN, short read).
  void mark_not_ready() const noexcept;

  [[nodiscard]] Scheduler* scheduler() const noexcept { return scheduler_; }

  /// Whether `scheduler`'s backend performs operations itself (io_uring) rather than reporting
  /// readiness: an awaitable that starts I/O before start() (connect) leaves it to the backend.
  [[nodiscard]] static bool submits_operations(const Scheduler& scheduler) noexcept;

  /// Completion backends: the group of provided buffers `pool` feeds on `scheduler`'s backend
  /// (set up on first use), or nullopt when there is none for it.
  [[nodiscard]] static std::optional<std::uint16_t> provided_buffer_group(
      Scheduler& scheduler, BufferPool& pool) noexcept;

 private:
  void leave() noexcept;
  void drop_stop_callback() noexcept;
  [[noreturn]] void throw_interrupted(const char* what) const;

  struct CancelOnStop {
    WaitOperation* operation;
    void operator()() const noexcept;
  };
  using StopCallback = std::stop_callback<CancelOnStop>;

  Scheduler* scheduler_ = nullptr;
  std::stop_token stop_;
  // Only a wait that can be stopped while parked has one, in a block from the scheduler's pool:
  // every awaiter lives in its coroutine's frame for the frame's whole life (GCC gives each its
  // own slot), so an idle connection should not pay 64 bytes per awaiter for cancellation it
  // never asked for, and a stream of cancellable waits should not cost an allocation each.
  StopCallback* on_stop_ = nullptr;
};

}  // namespace tasknet::detail
