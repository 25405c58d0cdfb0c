// The seed's run() loop: run what is ready, then block in the poller until something is.
#include "tasknet/scheduler.hpp"

#include "tasknet/file_descriptor.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace tasknet {
namespace {

constexpr std::size_t index_of(Direction direction) noexcept {
  return direction == Direction::readable ? 0 : 1;
}

void report_to_stderr(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tasknet: a detached task failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "tasknet: a detached task failed with an exception of unknown type\n");
  }
}

}  // namespace

Scheduler::Scheduler() : Scheduler(Options{}) {}

Scheduler::Scheduler(Options options)
    : Scheduler(make_poller(options.backend), std::move(options.on_task_error)) {}

Scheduler::Scheduler(std::unique_ptr<Poller> poller, ErrorHandler on_task_error)
    : poller_(std::move(poller)),
      on_task_error_(on_task_error ? std::move(on_task_error) : ErrorHandler{report_to_stderr}) {
  if (!poller_) throw std::invalid_argument("tasknet: a Scheduler needs a poller");
}

Scheduler::~Scheduler() {
  // Destroying a frame runs the destructors of what it holds: awaiters leave their waiting areas
  // and sockets forget their descriptors, so the poller and the waiting areas must still exist.
  while (!detached_.empty()) {
    const std::coroutine_handle<> frame = detached_.back();
    detached_.pop_back();
    frame.destroy();
  }
  ready_.clear();
  // Descriptors owned outside any task (declared before the scheduler, say) outlive it.
  for (FdWaits& waits : waiting_) {
    if (waits.owner != nullptr) waits.owner->scheduler_ = nullptr;
  }
}

void Scheduler::spawn(Task<void> task) {
  if (!task.valid()) throw std::invalid_argument("tasknet: spawn() of an empty Task");
  if (task.done()) throw std::logic_error("tasknet: spawn() of a Task that already ran");
  detached_.reserve(detached_.size() + 1);  // so that nothing can fail once the frame is released
  auto frame = task.release();
  auto& promise = frame.promise();
  promise.set_scheduler(this);
  promise.set_detached_slot(detached_.size());
  detached_.push_back(frame);
  try {
    ready_.push_back(frame);
  } catch (...) {
    detached_.pop_back();
    frame.destroy();
    throw;
  }
}

void Scheduler::run() {
  if (running_) throw std::logic_error("tasknet: Scheduler::run() called from inside run()");
  running_ = true;
  struct Reset {
    Scheduler& scheduler;
    ~Reset() { scheduler.running_ = scheduler.stop_requested_ = false; }
  } reset{*this};

  while (!stop_requested_ && !detached_.empty()) {
    run_ready_tasks();
    if (stop_requested_ || detached_.empty()) break;
    if (!sleeping_.empty()) expire_timers(Clock::now());  // due timers need no system call
    if (!ready_.empty() && runs_since_poll_ < poll_interval) continue;
    poll_for_io();
  }
}

void Scheduler::run_ready_tasks() {
  // Only the tasks ready when this turn began, so tasks that keep yielding cannot keep the loop
  // from timers and I/O for longer than a turn (or, for I/O, poll_interval tasks).
  for (std::size_t turn = ready_.size(); turn > 0 && !stop_requested_; --turn) {
    ready_.pop_front().resume();
    ++runs_since_poll_;
  }
}

void Scheduler::poll_for_io() {
  runs_since_poll_ = 0;
  std::optional<std::chrono::nanoseconds> timeout;
  if (!ready_.empty()) {
    timeout = std::chrono::nanoseconds::zero();  // only look: there is work to do
  } else if (const detail::Waiter* earliest = sleeping_.earliest()) {
    timeout = std::max(std::chrono::nanoseconds::zero(), earliest->deadline - Clock::now());
  } else if (fd_waiter_count_ == 0) {
    throw std::logic_error("tasknet: " + std::to_string(detached_.size()) +
                           " task(s) alive but none is ready, waiting on a descriptor or "
                           "sleeping: nothing can ever resume them");
  }

  for (const PollEvent& event : poller_->wait(timeout)) {
    if (event.readable) on_ready(event.fd, Direction::readable, event.read_closed);
    if (event.writable) on_ready(event.fd, Direction::writable, event.write_closed);
  }
  if (!sleeping_.empty()) expire_timers(Clock::now());
}

void Scheduler::on_ready(int fd, Direction direction, bool closed) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= waiting_.size()) return;
  const std::size_t way = index_of(direction);
  detail::Readiness& readiness = waiting_[fd].readiness[way];
  if (readiness != detail::Readiness::closed) {
    readiness = closed ? detail::Readiness::closed : detail::Readiness::ready;
  }
  detail::Waiter* waiter = waiting_[fd].waiter[way];
  if (waiter == nullptr) return;
  // An operation that does I/O retries it here; a spurious wake-up keeps the task parked.
  if (waiter->attempt != nullptr && waiter->attempt(*waiter) == detail::Attempt::would_block) {
    mark_not_ready(fd, direction);
    return;
  }
  finish_wait(*waiter, WaitStatus::ready);
}

void Scheduler::expire_timers(TimePoint now) noexcept {
  while (detail::Waiter* earliest = sleeping_.earliest()) {
    if (earliest->deadline > now) break;
    finish_wait(*earliest, WaitStatus::timed_out);
  }
}

void Scheduler::finish_wait(detail::Waiter& waiter, WaitStatus status) noexcept {
  unpark(waiter);
  waiter.status = status;
  // The ready queue's growth is the only allocation here; if memory is gone, nothing can go on.
  ready_.push_back(waiter.task);
}

Scheduler::FdWaits& Scheduler::waits_of(int fd) {
  if (static_cast<std::size_t>(fd) >= waiting_.size()) waiting_.resize(fd + 1);
  return waiting_[fd];
}

detail::Readiness Scheduler::readiness(int fd, Direction direction) const noexcept {
  return static_cast<std::size_t>(fd) < waiting_.size()
             ? waiting_[fd].readiness[index_of(direction)]
             : detail::Readiness::unknown;
}

void Scheduler::mark_not_ready(int fd, Direction direction) noexcept {
  if (fd < 0) return;
  try {
    detail::Readiness& readiness = waits_of(fd).readiness[index_of(direction)];
    if (readiness != detail::Readiness::closed) readiness = detail::Readiness::not_ready;
  } catch (...) {
    // Not recording it only costs one extra attempt later.
  }
}

void Scheduler::park(detail::Waiter& waiter, LastSeen last_seen) {
  detail::Waiter** slot = nullptr;
  if (waiter.fd >= 0) {
    slot = &waits_of(waiter.fd).waiter[index_of(waiter.direction)];
    if (*slot != nullptr) {
      throw std::logic_error("tasknet: another task already waits until fd " +
                             std::to_string(waiter.fd) + " is " +
                             std::string(to_string(waiter.direction)) +
                             "; at most one task may wait on a descriptor in each direction");
    }
    poller_->watch(waiter.fd, waiter.direction, last_seen);
  }
  if (waiter.has_deadline) {
    try {
      sleeping_.push(waiter);
    } catch (...) {
      if (slot != nullptr) poller_->unwatch(waiter.fd, waiter.direction);
      throw;
    }
  }
  if (slot != nullptr) {
    *slot = &waiter;
    ++fd_waiter_count_;
  }
  waiter.parked = true;
}

void Scheduler::unpark(detail::Waiter& waiter) noexcept {
  if (!waiter.parked) return;
  waiter.parked = false;
  if (waiter.fd >= 0) {
    detail::Waiter*& slot = waiting_[waiter.fd].waiter[index_of(waiter.direction)];
    if (slot == &waiter) {
      slot = nullptr;
      --fd_waiter_count_;
      poller_->unwatch(waiter.fd, waiter.direction);
    }
  }
  if (waiter.timer_slot != detail::Waiter::no_timer) sleeping_.erase(waiter);
}

void Scheduler::cancel(detail::Waiter& waiter) noexcept {
  if (waiter.parked) finish_wait(waiter, WaitStatus::cancelled);
}

void Scheduler::forget_fd(int fd) noexcept {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) < waiting_.size()) {
    FdWaits& waits = waiting_[fd];
    for (detail::Waiter* waiter : waits.waiter) {
      if (waiter != nullptr) finish_wait(*waiter, WaitStatus::cancelled);
    }
    waits = FdWaits{};  // the number's next owner starts with nothing known
  }
  poller_->forget(fd);
}

void Scheduler::set_owner(int fd, FileDescriptor* owner) {
  waits_of(fd).owner = owner;
}

void Scheduler::finish_detached(detail::PromiseBase& promise, std::coroutine_handle<> frame,
                                std::exception_ptr error) noexcept {
  const std::size_t slot = promise.detached_slot();
  detached_[slot] = detached_.back();
  detached_[slot].promise().set_detached_slot(slot);
  detached_.pop_back();
  frame.destroy();
  if (error) {
    try {
      on_task_error_(std::move(error));
    } catch (...) {
      report_to_stderr(std::current_exception());
    }
  }
}

namespace detail {
void finish_detached_task(PromiseBase& promise, std::coroutine_handle<> frame,
                          std::exception_ptr error) noexcept {
  promise.scheduler()->finish_detached(promise, frame, std::move(error));
}
}  // namespace detail

}  // namespace tasknet
