// io_uring(7), completion-based: the kernel performs recv, send, sendmsg, accept and connect
// itself and reports each result, so a request costs no system call of its own. Everything
// queued in a loop turn goes to the kernel in the one io_uring_enter that also waits. Plain
// readiness waits (signalfd, eventfd, Socket::readable) become one-shot polls. The only file that
// includes <liburing.h>.
#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "pollers/pollers.hpp"

namespace tasknet::pollers {
namespace {

using detail::IoRequest;

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

class UringPoller final : public Poller {
 public:
  UringPoller() {
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
    // What the scheduler relies on: no completion is ever lost, and what a request points to
    // (an iovec array, a msghdr) is read when it is submitted, so our copies may be reused.
    if ((params.features & IORING_FEAT_NODROP) == 0 ||
        (params.features & IORING_FEAT_SUBMIT_STABLE) == 0) {
      refuse(ENOSYS, "this kernel is too old (needs IORING_FEAT_NODROP and SUBMIT_STABLE, 5.5)");
    }
    require_operations();
    // One msghdr per submission slot: a sendmsg's header lives until its entry is submitted.
    headers_.resize(ring_->sq.ring_entries);
  }

  std::string_view name() const noexcept override { return "uring"; }
  bool completion_based() const noexcept override { return true; }

  // Readiness calls: the scheduler never makes them on a completion-based backend.
  void watch(int /*fd*/, Direction /*direction*/, LastSeen /*last_seen*/) override {
    throw std::logic_error("tasknet: watch() on the completion-based uring backend");
  }
  void unwatch(int /*fd*/, Direction /*direction*/) noexcept override {}
  void forget(int /*fd*/) noexcept override {}
  std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> /*timeout*/) override {
    throw std::logic_error("tasknet: wait() on the completion-based uring backend");
  }

  void submit(detail::Waiter& waiter) override {
    io_uring_sqe* entry = next_entry();
    if (waiter.operation == nullptr) {
      io_uring_prep_poll_add(
          entry, waiter.fd, waiter.direction == Direction::readable ? POLLIN | POLLRDHUP : POLLOUT);
    } else {
      prepare(entry, waiter.fd, waiter.operation->describe(waiter));
    }
    io_uring_sqe_set_data(entry, &waiter);
  }

  void cancel(detail::Waiter& waiter) noexcept override {
    io_uring_sqe* entry = nullptr;
    try {
      entry = next_entry();
    } catch (const std::system_error&) {
      return;  // the ring is failing: the next complete() says so
    }
    io_uring_prep_cancel(entry, &waiter, 0);
    io_uring_sqe_set_data64(entry, untracked);
    // Handed over now, with the operation itself if it was still queued: the caller may close
    // the descriptor next, and a queued request would then find the number closed or reused.
    io_uring_submit(ring_.get());
  }

  std::span<const Completion> complete(std::optional<std::chrono::nanoseconds> timeout) override {
    completions_.clear();
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
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
      ++seen;
      const __u64 tag = io_uring_cqe_get_data64(cqe);
      if (tag == untracked || tag == LIBURING_UDATA_TIMEOUT) continue;
      auto* waiter = reinterpret_cast<detail::Waiter*>(static_cast<std::uintptr_t>(tag));
      completions_.push_back(to_completion(*waiter, cqe->res));
    }
    io_uring_cq_advance(ring_.get(), seen);
    return completions_;
  }

 private:
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

  void prepare(io_uring_sqe* entry, int fd, const IoRequest& request) {
    switch (request.call) {
      case IoRequest::Call::recv:
        io_uring_prep_recv(entry, fd, request.data, request.length, 0);
        return;
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

  static Completion to_completion(detail::Waiter& waiter, int result) noexcept {
    if (waiter.operation != nullptr || result < 0) return {.waiter = &waiter, .result = result};
    // A poll's result is what it saw: hang-up or error means no later wait would block.
    const unsigned seen = static_cast<unsigned>(result);
    const unsigned final_events =
        POLLERR | POLLHUP | (waiter.direction == Direction::readable ? POLLRDHUP : 0);
    return {.waiter = &waiter, .result = 0, .closed = (seen & final_events) != 0};
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
  std::vector<msghdr> headers_;
  std::vector<Completion> completions_;
};

}  // namespace

std::unique_ptr<Poller> make_uring_poller() {
  return std::make_unique<UringPoller>();
}

}  // namespace tasknet::pollers
