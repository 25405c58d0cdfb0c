// The io_uring(7) driver, completion-based: the kernel performs recv, send, sendmsg, accept and
// connect itself and reports each result, so a request costs no system call of its own.
// Everything queued in a loop turn goes to the kernel in the one io_uring_enter that also waits.
// Plain readiness waits (signalfd, eventfd, Socket::readable) become one-shot polls. Receives
// into pooled buffers (Socket::receive) take one from a ring of provided buffers that the pool
// feeds (provided_buffers.hpp), so a waiting connection holds no buffer; when that ring has run
// dry, the receive polls, then borrows and receives at its task's turn. An interrupted operation
// is cancelled, and its task resumes only when the kernel has let go of it.
#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "drivers/drivers.hpp"
#include "drivers/io_request.hpp"
#include "drivers/uring/provided_buffers.hpp"
#include "drivers/waiting_areas.hpp"
#include "tasknet/buffer_pool.hpp"

namespace tasknet::drivers {
namespace {

using detail::Attempt;
using detail::Completion;
using detail::IoRequest;
using detail::Waiter;
using detail::WaitState;

// Room for a burst of submissions per loop turn; a fuller queue is submitted early. Completions
// get four times the room, and the kernel keeps any overflow (IORING_FEAT_NODROP) rather than
// dropping it.
constexpr unsigned submission_entries = 1024;
constexpr unsigned completion_entries = 4 * submission_entries;

// user_data of the requests whose completions nobody waits for (cancellations).
constexpr __u64 untracked = 0;

struct RingDeleter {
  void operator()(io_uring* ring) const noexcept {
    io_uring_queue_exit(ring);
    delete ring;
  }
};

/// What io_uring_setup refused, or which operation this kernel lacks: the one line a user sees.
[[noreturn]] void refuse(int error, const std::string& why) {
  throw std::system_error(error, std::system_category(), "cannot set up io_uring (" + why + ")");
}

/// What the driver submitted for a waiter (Waiter::driver_note).
enum Submitted : std::uint8_t {
  operation,    ///< the operation itself, as described (or a plain wait's poll)
  from_ring,    ///< a receive into a pool, with a buffer from its ring of provided buffers
  poll_to_try,  ///< a poll, after which the operation is tried at its task's turn
};

class UringDriver final : public Driver {
 public:
  UringDriver() {
    auto ring = std::make_unique<io_uring>();
    io_uring_params params{};
    // COOP_TASKRUN (5.19): completions are finished when this thread enters the kernel anyway,
    // instead of interrupting it; TASKRUN_FLAG says when entering would find some.
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    params.cq_entries = completion_entries;
    int failed = io_uring_queue_init_params(submission_entries, ring.get(), &params);
    if (failed == -EINVAL) {  // an older kernel: without them
      params = io_uring_params{};
      params.flags = IORING_SETUP_CQSIZE;
      params.cq_entries = completion_entries;
      failed = io_uring_queue_init_params(submission_entries, ring.get(), &params);
    }
    if (failed < 0) refuse(-failed, "io_uring_setup");
    ring_.reset(ring.release());
    // What the driver relies on: no completion is ever lost, and what a request points to (an
    // iovec array, a msghdr) is read when it is submitted, so our copies may be reused.
    if ((params.features & IORING_FEAT_NODROP) == 0 ||
        (params.features & IORING_FEAT_SUBMIT_STABLE) == 0) {
      refuse(ENOSYS, "this kernel is too old (needs IORING_FEAT_NODROP and SUBMIT_STABLE, 5.5)");
    }
    require_operations();
    // One msghdr per submission slot: a sendmsg's header lives until its entry is submitted.
    headers_.resize(ring_->sq.ring_entries);
  }

  std::string_view name() const noexcept override { return "uring"; }

  bool start(Waiter& waiter) override {
    const Readiness known = areas_.readiness(waiter.fd, waiter.direction);
    if (waiter.operation == nullptr) {
      if (waiter.trust_readiness && known == Readiness::closed) return false;  // for good
      if (waiter.trust_readiness && known == Readiness::ready) {
        // As on a readiness driver: the task may drain it where we cannot see, so once only.
        areas_.set_readiness(waiter.fd, waiter.direction, Readiness::unknown);
        return false;
      }
    } else if (waiter.operation->try_after_completion && known == Readiness::ready) {
      // The last completion suggests the next is there already (accept's backlog).
      if (!spend_budget()) {
        areas_.enter(areas_.at(waiter.fd), waiter);
        queue_attempt(waiter);
        return true;
      }
      if (areas_.finished(waiter, waiter.operation->attempt(waiter))) return false;
    }
    areas_.enter(areas_.at(waiter.fd), waiter);
    try {
      submit(waiter);
    } catch (...) {
      areas_.leave(waiter);
      throw;
    }
    waiter.state = WaitState::parked;
    return true;
  }

  bool attempt_at_turn(Waiter& waiter) noexcept override {
    if (areas_.finished(waiter, waiter.operation->attempt(waiter)))
      return end_at_turn(waiter, WaitStatus::ready);
    try {
      submit(waiter);
      waiter.state = WaitState::parked;
      return false;
    } catch (...) {
      return end_at_turn(waiter,
                         WaitStatus::cancelled);  // the backend refused: end it as cancelled
    }
  }

  void interrupt(Waiter& waiter, WaitStatus status) noexcept override {
    if (waiter.state == WaitState::attempt_queued) {  // not in the kernel's hands
      end(waiter, status);
      return;
    }
    if (waiter.state != WaitState::parked) return;  // its cancellation is on its way already
    // It leaves the waiting areas now, so another task may wait on the descriptor (or a reused
    // number) at once; only the completion is still to come.
    areas_.leave(waiter);
    stop_timer(waiter);
    waiter.status = status;
    waiter.state = WaitState::cancelling;
    cancel(waiter);
  }

  void abandon(Waiter& waiter) noexcept override {
    areas_.leave(waiter);
    if (waiter.state == WaitState::attempt_queued) {
      waiter.state = WaitState::idle;
      return;
    }
    if (waiter.state == WaitState::parked) cancel(waiter);
    waiter.state = WaitState::abandoned;  // tells complete() that nobody will take the result
    // The kernel may write into the frame until the operation completes. Other completions that
    // arrive meanwhile are handled as usual: their tasks become ready.
    try {
      while (waiter.state == WaitState::abandoned) reap(std::nullopt);
    } catch (...) {
      // The ring itself has failed while the kernel may still write into the frame: nothing
      // that could follow is safe.
      std::terminate();
    }
  }

  void forget(int fd) noexcept override {
    if (WaitingAreas::Entry* entry = areas_.find(fd)) {
      for (Waiter* waiter : entry->waiter) {
        if (waiter != nullptr) interrupt(*waiter, WaitStatus::cancelled);
      }
      areas_.reset(fd);
    }
  }

  void record(int fd, Direction direction, Attempt outcome) noexcept override {
    areas_.record(fd, direction, outcome);
  }

  bool has_waiters() const noexcept override { return areas_.count() > 0 || in_flight_ > 0; }

  bool has_unstarted_work() const noexcept override { return io_uring_sq_ready(ring_.get()) > 0; }

  void turn(std::optional<std::chrono::nanoseconds> timeout) override { reap(timeout); }

 private:
  /// A completion as read from the queue, before it is handled.
  struct Reaped {
    Waiter* waiter;
    int result;
    unsigned flags;
  };

  void require_operations() {
    const std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe{
        io_uring_get_probe_ring(ring_.get()), io_uring_free_probe};
    if (!probe) refuse(ENOSYS, "this kernel cannot say which operations it supports (5.6+)");
    constexpr std::pair<int, const char*> needed[] = {
        {IORING_OP_POLL_ADD, "POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
        {IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_CONNECT, "CONNECT"},
        {IORING_OP_RECV, "RECV"},         {IORING_OP_SEND, "SEND"},
        {IORING_OP_SENDMSG, "SENDMSG"}};
    for (const auto& [operation, name] : needed) {
      if (io_uring_opcode_supported(probe.get(), operation) == 0) {
        refuse(ENOSYS, std::string("this kernel lacks the ") + name + " operation");
      }
    }
  }

  /// The wait ends with `status`.
  void end(Waiter& waiter, WaitStatus status) noexcept {
    areas_.leave(waiter);
    wake(waiter, status);  // from attempt_queued, its entry in the ready queue resumes it
  }

  /// The wait of a waiter whose turn has come ends with `status`: its task resumes now.
  bool end_at_turn(Waiter& waiter, WaitStatus status) noexcept {
    end(waiter, status);
    return true;
  }

  io_uring_sqe* next_entry() {
    io_uring_sqe* entry = io_uring_get_sqe(ring_.get());
    if (entry != nullptr) return entry;
    // The queue is full: hand it to the kernel early, without waiting.
    if (const int submitted = io_uring_submit(ring_.get()); submitted < 0) {
      throw std::system_error(-submitted, std::system_category(), "io_uring_submit");
    }
    entry = io_uring_get_sqe(ring_.get());
    if (entry == nullptr)
      throw std::system_error(EBUSY, std::system_category(), "io_uring_get_sqe");
    return entry;
  }

  /// Queues `waiter`'s operation (or, for a plain wait, a one-shot poll for its direction).
  /// Throws std::system_error when the ring refuses it.
  void submit(Waiter& waiter) {
    io_uring_sqe* entry = next_entry();
    waiter.driver_note = Submitted::operation;
    if (waiter.operation == nullptr) {
      io_uring_prep_poll_add(
          entry, waiter.fd, waiter.direction == Direction::readable ? POLLIN | POLLRDHUP : POLLOUT);
    } else {
      const IoRequest request = waiter.operation->describe(waiter);
      if (request.call != IoRequest::Call::receive_pooled) {
        prepare(entry, waiter.fd, request);
      } else if (const ProvidedBuffers* buffers = buffers_for(*request.pool)) {
        io_uring_prep_recv(entry, waiter.fd, nullptr, request.length, 0);
        entry->flags |= IOSQE_BUFFER_SELECT;
        entry->buf_group = buffers->group();
        waiter.driver_note = Submitted::from_ring;
      } else {
        io_uring_prep_poll_add(entry, waiter.fd, POLLIN | POLLRDHUP);
        waiter.driver_note = Submitted::poll_to_try;
      }
    }
    io_uring_sqe_set_data(entry, &waiter);
    ++in_flight_;
  }

  /// Queues a poll, after which `waiter`'s operation is tried at its task's turn.
  void submit_poll_to_try(Waiter& waiter) {
    io_uring_sqe* entry = next_entry();
    io_uring_prep_poll_add(entry, waiter.fd, POLLIN | POLLRDHUP);
    io_uring_sqe_set_data(entry, &waiter);
    waiter.driver_note = Submitted::poll_to_try;
    ++in_flight_;
  }

  void prepare(io_uring_sqe* entry, int fd, const IoRequest& request) {
    switch (request.call) {
      case IoRequest::Call::recv:
        io_uring_prep_recv(entry, fd, request.data, request.length, 0);
        return;
      case IoRequest::Call::receive_pooled:
        return;  // submit() chooses how
      case IoRequest::Call::send:
        // MSG_NOSIGNAL: a peer that has gone away is an EPIPE result, never a SIGPIPE.
        io_uring_prep_send(entry, fd, request.data, request.length, MSG_NOSIGNAL);
        return;
      case IoRequest::Call::sendmsg: {
        msghdr& header = headers_[static_cast<std::size_t>(entry - ring_->sq.sqes)];
        header = msghdr{};
        header.msg_iov = static_cast<iovec*>(request.data);
        header.msg_iovlen = std::min<std::size_t>(request.length, IOV_MAX);
        io_uring_prep_sendmsg(entry, fd, &header, MSG_NOSIGNAL);
        return;
      }
      case IoRequest::Call::accept:
        io_uring_prep_accept(entry, fd, static_cast<sockaddr*>(request.data),
                             request.address_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        return;
      case IoRequest::Call::connect:
        io_uring_prep_connect(entry, fd, static_cast<const sockaddr*>(request.data),
                              static_cast<socklen_t>(request.length));
        return;
    }
  }

  /// Asks for `waiter`'s operation to end early, now.
  void cancel(Waiter& waiter) noexcept {
    io_uring_sqe* entry = nullptr;
    try {
      entry = next_entry();
    } catch (const std::system_error&) {
      return;  // the ring is failing: the next turn says so
    }
    io_uring_prep_cancel(entry, &waiter, 0);
    io_uring_sqe_set_data64(entry, untracked);
    // Handed over now, with the operation itself if it was still queued: the caller may close
    // the descriptor next, and a queued request would then find the number closed or reused.
    io_uring_submit(ring_.get());
  }

  /// The ring of provided buffers `pool` feeds, set up on its first receive; null when there is
  /// none for it (not supported by this kernel, or the pool feeds another scheduler's ring), and
  /// the receive then polls and borrows.
  ProvidedBuffers* buffers_for(BufferPool& pool) noexcept {
    if (detail::BufferPoolAccess::recycler(pool) != nullptr) {
      for (const std::unique_ptr<ProvidedBuffers>& buffers : provided_) {
        if (buffers->fed_by(pool)) return buffers.get();
      }
      return nullptr;  // it feeds another scheduler's ring
    }
    if (!provided_buffers_work_) return nullptr;
    try {
      // A program that makes and drops pools reuses the group numbers of those gone.
      const auto retired = std::find_if(provided_.begin(), provided_.end(),
                                        [](const auto& buffers) { return buffers->retired(); });
      if (retired != provided_.end()) {
        const std::uint16_t group = (*retired)->group();
        *retired = std::make_unique<ProvidedBuffers>(*ring_, pool, group);
        return retired->get();
      }
      if (provided_.size() > UINT16_MAX) return nullptr;
      provided_.reserve(provided_.size() + 1);
      const auto group = static_cast<std::uint16_t>(provided_.size());
      provided_.push_back(std::make_unique<ProvidedBuffers>(*ring_, pool, group));
      return provided_.back().get();
    } catch (const std::exception&) {
      // An older kernel (or no memory for the ring): receives wait for readiness and borrow.
      provided_buffers_work_ = false;
      return nullptr;
    }
  }

  /// Submits what is queued, then blocks until operations complete or `timeout` passes, and
  /// handles what completed.
  void reap(std::optional<std::chrono::nanoseconds> timeout) {
    int entered = 0;
    if (!timeout) {
      entered = io_uring_submit_and_wait(ring_.get(), 1);
    } else if (*timeout <= std::chrono::nanoseconds::zero()) {
      // Only look: enter the kernel if there is something to submit or completions to finish.
      if (io_uring_sq_ready(ring_.get()) > 0 ||
          (IO_URING_READ_ONCE(*ring_->sq.kflags) & IORING_SQ_TASKRUN) != 0) {
        entered = io_uring_submit_and_get_events(ring_.get());
      }
    } else {
      __kernel_timespec limit = to_timespec(*timeout);
      io_uring_cqe* first = nullptr;
      entered = io_uring_submit_and_wait_timeout(ring_.get(), &first, 1, &limit, nullptr);
    }
    // ETIME: the timeout passed; EINTR: a signal; EBUSY/EAGAIN: completions are backed up, so
    // reaping them below is the way forward.
    if (entered < 0 && entered != -ETIME && entered != -EINTR && entered != -EBUSY &&
        entered != -EAGAIN) {
      throw std::system_error(-entered, std::system_category(), "io_uring_enter");
    }
    // Read off the queue first, then handled: handling may submit, or reap (abandon) again.
    std::vector<Reaped> reaped = std::move(spare_);
    reaped.clear();
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
      ++seen;
      const __u64 tag = io_uring_cqe_get_data64(cqe);
      if (tag == untracked || tag == LIBURING_UDATA_TIMEOUT) continue;
      reaped.push_back({static_cast<Waiter*>(io_uring_cqe_get_data(cqe)), cqe->res, cqe->flags});
    }
    io_uring_cq_advance(ring_.get(), seen);
    for (const Reaped& completion : reaped) complete(completion);
    spare_ = std::move(reaped);
  }

  void complete(const Reaped& reaped) noexcept {
    Waiter& waiter = *reaped.waiter;
    --in_flight_;
    const Completion completion = to_completion(waiter, reaped);
    const Submitted submitted = static_cast<Submitted>(waiter.driver_note);
    const detail::Operation* operation = waiter.operation;
    if (waiter.state == WaitState::abandoned) {  // its frame is going, and only waited for this
      if (operation != nullptr && operation->discard != nullptr) {
        operation->discard(waiter, completion);
      }
      waiter.state = WaitState::idle;
      return;
    }
    const bool interrupted = waiter.state == WaitState::cancelling;
    const WaitStatus why = interrupted ? waiter.status : WaitStatus::ready;
    if (interrupted && completion.result == -ECANCELED) {
      end(waiter, why);
      return;
    }
    if (operation == nullptr) {  // a plain wait's poll
      // (Not when interrupted: a close may have freed the number for another descriptor already.)
      if (completion.closed && waiter.trust_readiness && !interrupted) {
        areas_.set_readiness(waiter.fd, waiter.direction, Readiness::closed);
      }
      end(waiter, why);
      return;
    }
    if (submitted == Submitted::poll_to_try) {
      if (interrupted) {
        end(waiter, why);
      } else {
        queue_attempt(waiter);  // tried at its task's turn, as a readiness driver would
      }
      return;
    }
    if (submitted == Submitted::from_ring && completion.result == -ENOBUFS) {
      // Every buffer of the ring is held by a connection: this receive waits for readiness and
      // borrows instead (the pool lends beyond the ring); the next one tries the ring again.
      if (interrupted) {
        end(waiter, why);
        return;
      }
      try {
        submit_poll_to_try(waiter);
      } catch (...) {
        end(waiter, WaitStatus::cancelled);
      }
      return;
    }
    // An operation that finished before its cancellation took effect keeps its result: the bytes
    // it moved are not lost.
    if (operation->complete(waiter, completion) != Attempt::would_block) {
      if (operation->try_after_completion && !interrupted) {
        areas_.set_readiness(waiter.fd, waiter.direction, Readiness::ready);
      }
      end(waiter, WaitStatus::ready);
      return;
    }
    if (interrupted) {
      end(waiter, why);
      return;
    }
    try {
      submit(waiter);  // the rest of a partial send, or a receive that found nothing after all
    } catch (...) {
      end(waiter, WaitStatus::cancelled);  // the backend refused: end it as cancelled
    }
  }

  Completion to_completion(Waiter& waiter, const Reaped& reaped) noexcept {
    if (waiter.operation == nullptr && reaped.result >= 0) {
      // A poll's result is what it saw: hang-up or error means no later wait would block.
      const auto seen = static_cast<unsigned>(reaped.result);
      const unsigned final_events =
          POLLERR | POLLHUP | (waiter.direction == Direction::readable ? POLLRDHUP : 0);
      return {.result = 0, .closed = (seen & final_events) != 0};
    }
    Completion completion{.result = reaped.result};
    if ((reaped.flags & IORING_CQE_F_BUFFER) != 0) {
      // The receive's pool names its ring; the buffer is the operation's from here on.
      ProvidedBuffers* buffers = buffers_for(*waiter.operation->describe(waiter).pool);
      const auto id = static_cast<int>(reaped.flags >> IORING_CQE_BUFFER_SHIFT);
      if (buffers != nullptr) completion.buffer = buffers->take(id);
    }
    return completion;
  }

  static __kernel_timespec to_timespec(std::chrono::nanoseconds timeout) noexcept {
    constexpr long long max_seconds = 24LL * 3600;  // a day: the loop simply waits again
    const long long seconds = std::min<long long>(
        std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), max_seconds);
    const long long nanoseconds =
        seconds == max_seconds ? 0 : (timeout - std::chrono::seconds(seconds)).count();
    return {.tv_sec = seconds, .tv_nsec = nanoseconds};
  }

  std::unique_ptr<io_uring, RingDeleter> ring_;
  // After ring_: unregistered before the ring is torn down.
  std::vector<std::unique_ptr<ProvidedBuffers>> provided_;
  bool provided_buffers_work_ = true;  // until the kernel refuses a ring
  std::vector<msghdr> headers_;
  WaitingAreas areas_;
  std::size_t in_flight_ = 0;  // operations submitted and not yet completed
  std::vector<Reaped> spare_;  // reap()'s storage, kept between turns
};

}  // namespace

std::unique_ptr<Driver> make_uring_driver() {
  return std::make_unique<UringDriver>();
}

}  // namespace tasknet::drivers
