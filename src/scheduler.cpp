// The seed's run() loop: run what is ready, then block in the poller until something is.
#include "tasknet/scheduler.hpp"

#include "tasknet/file_descriptor.hpp"

#include <cerrno>
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
    : Scheduler(make_poller(options.backend), std::move(options.on_task_error)) {}

Scheduler::Scheduler(std::unique_ptr<Poller> poller, ErrorHandler on_task_error)
    : poller_(std::move(poller)),
      edge_triggered_(poller_ && poller_->edge_triggered()),
      completion_based_(poller_ && poller_->completion_based()),
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
  for (void* block : free_blocks_) ::operator delete(block);
}

void* Scheduler::take_block(std::size_t size) {
  if (size == block_size_ && !free_blocks_.empty()) {
    void* block = free_blocks_.back();
    free_blocks_.pop_back();
    return block;
  }
  block_size_ = size;
  free_blocks_.reserve(free_blocks_.size() + 1);  // so that giving it back cannot fail
  return ::operator new(size);
}

void Scheduler::give_back_block(void* block) noexcept {
  if (free_blocks_.size() < free_blocks_.capacity()) {
    free_blocks_.push_back(block);
  } else {
    ::operator delete(block);
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
    if (!sleeping_.empty()) expire_timers(Clock::now());  // due timers need no system call
    if (!ready_.empty() && runs_since_poll_ < poll_interval) continue;
    poll_for_io();
  }
}

void Scheduler::run_ready_tasks() {
  // Only the tasks ready when this turn began, so tasks that keep yielding cannot keep the loop
  // from timers and I/O for longer than a turn (or, for I/O, poll_interval tasks).
  for (std::size_t turn = ready_.size(); turn > 0 && !stop_requested_; --turn) {
    const ReadyTask next = ready_.pop_front();
    ++runs_since_poll_;
    if (next.attempt_first != nullptr && !attempt_queued(*next.attempt_first)) continue;
    next.task.resume();
  }
}

void Scheduler::queue_attempt(detail::Waiter& waiter) noexcept {
  waiter.attempt_queued = true;  // and parked until its turn, like any waiter
  // The ready queue's growth is the only allocation here; if memory is gone, nothing can go on.
  ready_.push_back({waiter.task, &waiter});
}

bool Scheduler::attempt_queued(detail::Waiter& waiter) noexcept {
  // Interrupted meanwhile (deadline, stop, close): finish_wait left this entry to resume it.
  if (!waiter.attempt_queued) return true;
  waiter.attempt_queued = false;
  if (waiter.operation->attempt(waiter) == detail::Attempt::done) {
    unpark(waiter);
    waiter.status = WaitStatus::ready;
    return true;
  }
  // A spurious wake-up: it stays parked, and waits for the next edge or completion.
  if (!completion_based_) {
    mark_not_ready(waiter.fd, waiter.direction);
    return false;
  }
  try {
    submit(waiter);
    return false;
  } catch (...) {
    unpark(waiter);
    waiter.status = WaitStatus::cancelled;  // the backend refused: end it as cancelled
    return true;
  }
}

void Scheduler::poll_for_io() {
  runs_since_poll_ = 0;
  std::optional<std::chrono::nanoseconds> timeout;
  if (!ready_.empty()) {
    timeout = std::chrono::nanoseconds::zero();  // only look: there is work to do
  } else if (const detail::Waiter* earliest = sleeping_.earliest()) {
    timeout = std::max(std::chrono::nanoseconds::zero(), earliest->deadline - Clock::now());
  } else if (fd_waiter_count_ == 0 && in_flight_count_ == 0) {
    throw std::logic_error("tasknet: " + std::to_string(detached_.size()) +
                           " task(s) alive but none is ready, waiting on a descriptor or "
                           "sleeping: nothing can ever resume them");
  }

  if (completion_based_) {
    for (const Completion& completion : poller_->complete(timeout)) on_completion(completion);
  } else {
    for (const PollEvent& event : poller_->wait(timeout)) on_event(event);
  }
  if (!sleeping_.empty()) expire_timers(Clock::now());
}

void Scheduler::on_event(const PollEvent& event) noexcept {
  if (event.fd < 0 || static_cast<std::size_t>(event.fd) >= waiting_.size()) return;
  FdWaits& waits = waiting_[event.fd];
  if (event.readable) on_ready(waits, event.fd, Direction::readable, event.read_closed);
  if (event.writable) on_ready(waits, event.fd, Direction::writable, event.write_closed);
}

void Scheduler::on_ready(FdWaits& waits, int fd, Direction direction, bool closed) noexcept {
  const std::size_t way = index_of(direction);
  detail::Readiness& readiness = waits.readiness[way];
  if (readiness != detail::Readiness::closed) {
    readiness = closed ? detail::Readiness::closed : detail::Readiness::ready;
  }
  detail::Waiter* waiter = waits.waiter[way];
  if (waiter == nullptr) return;
  if (waiter->attempt_queued) return;  // its turn to try is coming already
  if (waiter->operation != nullptr && waiter->operation->attempt_at_turn) {
    queue_attempt(*waiter);
    return;
  }
  // An operation that does I/O retries it here; a spurious wake-up keeps the task parked.
  if (waiter->operation != nullptr &&
      waiter->operation->attempt(*waiter) == detail::Attempt::would_block) {
    mark_not_ready(fd, direction);
    return;
  }
  finish_wait(*waiter, WaitStatus::ready);
}

void Scheduler::on_completion(const Completion& completion) noexcept {
  detail::Waiter& waiter = *completion.waiter;
  waiter.in_flight = false;
  --in_flight_count_;
  const detail::Operation* operation = waiter.operation;
  if (!waiter.task) {  // abandoned: its frame is being destroyed, and only waited for this
    if (operation != nullptr && operation->discard != nullptr)
      operation->discard(waiter, completion);
    return;
  }
  const WaitStatus interrupted_by = waiter.status;  // ready unless interrupt() cancelled it
  if (interrupted_by != WaitStatus::ready && completion.result == -ECANCELED) {
    finish_wait(waiter, interrupted_by);
    return;
  }
  if (operation == nullptr) {  // a readiness wait
    // (Not when interrupted: a close may have freed the number for another descriptor already.)
    if (completion.result >= 0 && waiter.trust_readiness && interrupted_by == WaitStatus::ready) {
      readiness_of(waiter) =
          completion.closed ? detail::Readiness::closed : detail::Readiness::ready;
    }
    finish_wait(waiter, interrupted_by);
    return;
  }
  // An operation that finished before its cancellation took effect keeps its result: the bytes
  // it moved are not lost.
  const detail::Attempt outcome = operation->complete(waiter, completion);
  if (outcome == detail::Attempt::done) {
    if (operation->try_after_completion && interrupted_by == WaitStatus::ready) {
      readiness_of(waiter) = detail::Readiness::ready;
    }
    finish_wait(waiter, WaitStatus::ready);
    return;
  }
  if (outcome == detail::Attempt::try_at_turn && interrupted_by == WaitStatus::ready) {
    queue_attempt(waiter);
    return;
  }
  if (interrupted_by == WaitStatus::ready) {
    try {
      submit(waiter);  // the rest of a partial send, or a receive that found nothing after all
      return;
    } catch (...) {
      finish_wait(waiter, WaitStatus::cancelled);  // the backend refused: end it as cancelled
      return;
    }
  }
  finish_wait(waiter, interrupted_by);
}

void Scheduler::submit(detail::Waiter& waiter) {
  poller_->submit(waiter);
  waiter.in_flight = true;
  ++in_flight_count_;
}

void Scheduler::expire_timers(TimePoint now) noexcept {
  while (detail::Waiter* earliest = sleeping_.earliest()) {
    if (earliest->deadline > now) break;
    interrupt(*earliest, WaitStatus::timed_out);
  }
}

void Scheduler::interrupt(detail::Waiter& waiter, WaitStatus status) noexcept {
  if (!waiter.in_flight) {
    finish_wait(waiter, status);
    return;
  }
  if (waiter.status != WaitStatus::ready) return;  // its cancellation is on its way already
  waiter.status = status;
  // It leaves the waiting areas now, so another task may wait on the descriptor (or a reused
  // number) at once; only the completion is still to come.
  unpark(waiter);
  waiter.parked = true;  // until then it is still parked: its frame must wait for it to go
  poller_->cancel(waiter);
}

void Scheduler::finish_wait(detail::Waiter& waiter, WaitStatus status) noexcept {
  unpark(waiter);
  waiter.status = status;
  if (waiter.attempt_queued) {      // in the ready queue already, to try its operation
    waiter.attempt_queued = false;  // so that its turn resumes it, with `status`, untried
    return;
  }
  // The ready queue's growth is the only allocation here; if memory is gone, nothing can go on.
  ready_.push_back({waiter.task});
}

Scheduler::FdWaits& Scheduler::grow_waits_to(int fd) {
  waiting_.resize(static_cast<std::size_t>(fd) + 1);
  return waiting_[fd];
}

void Scheduler::park(detail::Waiter& waiter, LastSeen last_seen) {
  detail::Waiter** slot = nullptr;
  if (waiter.fd >= 0) {
    FdWaits& waits = waits_of(waiter.fd);
    slot = &waits.waiter[index_of(waiter.direction)];
    if (*slot != nullptr) {
      throw std::logic_error("tasknet: another task already waits until fd " +
                             std::to_string(waiter.fd) + " is " +
                             std::string(to_string(waiter.direction)) +
                             "; at most one task may wait on a descriptor in each direction");
    }
    // An edge-triggered poller already watching needs telling only when the level is unknown.
    if (!completion_based_ &&
        (!edge_triggered_ || !waits.watched || last_seen == LastSeen::unknown)) {
      poller_->watch(waiter.fd, waiter.direction, last_seen);
      waits.watched = true;
    }
  }
  if (waiter.has_deadline) {
    try {
      sleeping_.push(waiter);
    } catch (...) {
      if (slot != nullptr && unwatches()) poller_->unwatch(waiter.fd, waiter.direction);
      throw;
    }
  }
  if (slot != nullptr && completion_based_) {
    try {
      submit(waiter);
    } catch (...) {
      if (waiter.timer_slot != detail::Waiter::no_timer) sleeping_.erase(waiter);
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
      if (unwatches()) poller_->unwatch(waiter.fd, waiter.direction);
    }
  }
  if (waiter.timer_slot != detail::Waiter::no_timer) sleeping_.erase(waiter);
}

void Scheduler::abandon(detail::Waiter& waiter) noexcept {
  const bool cancelling = waiter.status != WaitStatus::ready;
  unpark(waiter);
  if (!waiter.in_flight) return;
  waiter.task = {};  // tells on_completion that nobody will take the result
  if (!cancelling) poller_->cancel(waiter);
  // Other completions that arrive meanwhile are handled as usual: their tasks become ready.
  while (waiter.in_flight) {
    for (const Completion& completion : poller_->complete(std::nullopt)) on_completion(completion);
  }
}

void Scheduler::cancel(detail::Waiter& waiter) noexcept {
  if (waiter.parked) interrupt(waiter, WaitStatus::cancelled);
}

void Scheduler::forget_fd(int fd) noexcept {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) < waiting_.size()) {
    FdWaits& waits = waiting_[fd];
    for (detail::Waiter* waiter : waits.waiter) {
      if (waiter != nullptr) interrupt(*waiter, WaitStatus::cancelled);
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
