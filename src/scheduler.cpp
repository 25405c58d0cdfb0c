// The seed's run() loop: run what is ready, then take one turn of the driver, which blocks until
// something is.
#include "tasknet/scheduler.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace tasknet {
namespace {

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
    : Scheduler(make_driver(options.backend), std::move(options.on_task_error)) {}

Scheduler::Scheduler(std::unique_ptr<Driver> driver, ErrorHandler on_task_error)
    : driver_(std::move(driver)),
      on_task_error_(on_task_error ? std::move(on_task_error) : ErrorHandler{report_to_stderr}) {
  if (!driver_) throw std::invalid_argument("tasknet: a Scheduler needs a driver");
  if (driver_->scheduler_ != nullptr) {
    throw std::invalid_argument("tasknet: this driver belongs to another Scheduler");
  }
  driver_->scheduler_ = this;
}

Scheduler::~Scheduler() {
  // Destroying a frame runs the destructors of what it holds: awaiters leave their waits and
  // sockets forget their descriptors, so the driver must still exist.
  while (!detached_.empty()) {
    const std::coroutine_handle<> frame = detached_.back();
    detached_.pop_back();
    frame.destroy();
  }
  ready_.clear();
}

void Scheduler::spawn(Task<void> task) {
  if (!task.valid()) throw std::invalid_argument("tasknet: spawn() of an empty Task");
  if (task.done()) throw std::logic_error("tasknet: spawn() of a Task that already ran");
  if (detached_.size() == detached_.capacity()) {
    // Room first, so that nothing can fail once the frame is released; doubling, so that a
    // server reaching a new high of connections does not copy the list each time.
    detached_.reserve(detached_.empty() ? 64 : 2 * detached_.size());
  }
  auto frame = task.release();
  auto& promise = frame.promise();
  promise.set_scheduler(this);
  promise.set_detached_slot(detached_.size());
  detached_.push_back(frame);
  try {
    ready_.push_back({frame});
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
    if (!timers_.empty()) expire_timers(Clock::now());  // due timers need no system call
    // While tasks are ready, look for I/O only every poll_interval task runs, unless a task has
    // spent its budget (it yielded so that others, I/O among them, get a turn) or the driver holds
    // work that only a turn starts.
    if (!ready_.empty() && runs_since_poll_ < poll_interval && !budget_spent_ &&
        !driver_->has_unstarted_work()) {
      continue;
    }
    poll_for_io();
  }
}

void Scheduler::run_ready_tasks() {
  // Only the tasks ready when this round began, so tasks that keep yielding cannot keep the loop
  // from timers and I/O for longer than a round (or, for I/O, poll_interval tasks).
  for (std::size_t round = ready_.size(); round > 0 && !stop_requested_; --round) {
    const ReadyTask next = ready_.pop_front();
    ++runs_since_poll_;
    budget_left_ = task_budget;
    detail::Waiter* const waiter = next.attempt_first;
    // (A waiter no longer attempt_queued was woken meanwhile: its task resumes with its status.)
    if (waiter != nullptr && waiter->state == detail::WaitState::attempt_queued &&
        !driver_->attempt_at_turn(*waiter)) {
      continue;
    }
    next.task.resume();
  }
}

void Scheduler::poll_for_io() {
  runs_since_poll_ = 0;
  budget_spent_ = false;
  std::optional<std::chrono::nanoseconds> timeout;
  if (!ready_.empty()) {
    timeout = std::chrono::nanoseconds::zero();  // only look: there is work to do
  } else if (const detail::Waiter* earliest = timers_.earliest()) {
    timeout = std::max(std::chrono::nanoseconds::zero(), earliest->deadline - Clock::now());
  } else if (!driver_->has_waiters()) {
    throw std::logic_error("tasknet: " + std::to_string(detached_.size()) +
                           " task(s) alive but none is ready, waiting on a descriptor or "
                           "sleeping: nothing can ever resume them");
  }
  driver_->turn(timeout);
  if (!timers_.empty()) expire_timers(Clock::now());
}

void Scheduler::expire_timers(TimePoint now) noexcept {
  while (detail::Waiter* earliest = timers_.earliest()) {
    if (earliest->deadline > now) break;
    const detail::Operation* operation = earliest->operation;
    if (operation != nullptr && operation->extend_deadline != nullptr &&
        operation->extend_deadline(*earliest, now)) {
      timers_.moved_later(*earliest);  // it made progress since: its timeout starts again
      continue;
    }
    if (operation != nullptr && operation->expired != nullptr) {  // a timer alone
      stop_timer(*earliest);
      earliest->state = detail::WaitState::idle;
      operation->expired(*earliest);
      continue;
    }
    interrupt(*earliest, WaitStatus::timed_out);  // which takes it out of the heap
  }
}

bool Scheduler::wait(detail::Waiter& waiter) {
  if (waiter.has_deadline) timers_.reserve_one();  // so that the push below cannot fail
  if (waiter.fd >= 0) {
    if (!driver_->start(waiter)) return false;
  } else {
    waiter.state = detail::WaitState::parked;
  }
  if (waiter.has_deadline) timers_.push(waiter);
  return true;
}

void Scheduler::interrupt(detail::Waiter& waiter, WaitStatus status) noexcept {
  if (waiter.fd >= 0) {
    driver_->interrupt(waiter, status);
  } else {
    wake(waiter, status);
  }
}

void Scheduler::abandon(detail::Waiter& waiter) noexcept {
  stop_timer(waiter);
  if (waiter.fd >= 0) {
    driver_->abandon(waiter);
  } else {
    waiter.state = detail::WaitState::idle;
  }
}

void Scheduler::wake(detail::Waiter& waiter, WaitStatus status) noexcept {
  stop_timer(waiter);
  waiter.status = status;
  const bool queued = waiter.state == detail::WaitState::attempt_queued;
  waiter.state = detail::WaitState::idle;
  if (queued) return;  // its entry in the ready queue resumes it, untried
  // The ready queue's growth is the only allocation here; if memory is gone, nothing can go on.
  ready_.push_back({waiter.task});
}

void Scheduler::queue_attempt(detail::Waiter& waiter) noexcept {
  waiter.state = detail::WaitState::attempt_queued;
  ready_.push_back({waiter.task, &waiter});  // as in wake(): only growth can fail
}

void Scheduler::finish_detached(detail::PromiseBase& promise, std::coroutine_handle<> frame,
                                std::exception_ptr error) noexcept {
  const std::size_t slot = promise.detached_slot();
  detached_[slot] = detached_.back();
  detached_[slot].promise().set_detached_slot(slot);
  detached_.pop_back();
  frame.destroy();
  if (error) report(std::move(error));
}

void Scheduler::report(std::exception_ptr error) noexcept {
  try {
    on_task_error_(std::move(error));
  } catch (...) {
    report_to_stderr(std::current_exception());
  }
}

void Driver::wake(detail::Waiter& waiter, WaitStatus status) noexcept {
  scheduler_->wake(waiter, status);
}

void Driver::queue_attempt(detail::Waiter& waiter) noexcept {
  scheduler_->queue_attempt(waiter);
}

void Driver::stop_timer(detail::Waiter& waiter) noexcept {
  scheduler_->stop_timer(waiter);
}

bool Driver::spend_budget() noexcept {
  if (scheduler_->budget_left_ == 0) {
    scheduler_->budget_spent_ = true;  // as Tokio does: its yield lets the driver look for I/O
    return false;
  }
  --scheduler_->budget_left_;
  return true;
}

namespace detail {
void finish_detached_task(PromiseBase& promise, std::coroutine_handle<> frame,
                          std::exception_ptr error) noexcept {
  SchedulerAccess::finish_detached(*promise.scheduler(), promise, frame, std::move(error));
}
}  // namespace detail

}  // namespace tasknet
