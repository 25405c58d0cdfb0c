// io_uring(7), completion-based: the kernel performs recv, send, sendmsg, accept and connect
// itself and reports each result, so a request costs no system call of its own. Everything
// queued in a loop turn goes to the kernel in the one io_uring_enter that also waits. Plain
// readiness waits (signalfd, eventfd, Socket::readable) become one-shot polls. Receives into
// pooled buffers (Socket::receive) take one from a ring of provided buffers that the pool feeds,
// so a waiting connection holds no buffer. The only file that includes <liburing.h>.
#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "pollers/pollers.hpp"
#include "tasknet/buffer_pool.hpp"

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

/// A ring of provided buffers (IORING_REGISTER_PBUF_RING, 5.19) fed by one BufferPool: the
/// kernel takes a buffer when a recv_provided's data arrives and names it in the completion.
/// It holds as many buffers as the pool keeps idle (a power of two); a pool gives buffers back
/// here first, so the ring refills as connections finish with them.
class ProvidedBuffers final : public detail::BufferRing {
 public:
  /// Registers the ring as `group` and fills it from `pool`. Throws std::system_error when the
  /// kernel refuses (before 5.19) or memory runs out.
  ProvidedBuffers(io_uring& uring, BufferPool& pool, std::uint16_t group)
      : uring_(&uring), pool_(&pool), group_(group), entries_(entries_for(pool)) {
    const std::size_t bytes = entries_ * sizeof(io_uring_buf);
    void* memory =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (memory == MAP_FAILED) throw std::system_error(errno, std::system_category(), "mmap");
    auto* ring = static_cast<io_uring_buf_ring*>(memory);
    io_uring_buf_ring_init(ring);
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uintptr_t>(ring);
    registration.ring_entries = entries_;
    registration.bgid = group_;
    if (const int failed = io_uring_register_buf_ring(uring_, &registration, 0); failed < 0) {
      ::munmap(ring, bytes);
      throw std::system_error(-failed, std::system_category(), "io_uring_register_buf_ring");
    }
    ring_ = ring;  // registered from here on
    lent_.resize(entries_);
    free_ids_.reserve(entries_);  // so that take() cannot fail
    try {
      for (unsigned id = 0; id < entries_; ++id) {
        lent_[id] = detail::BufferPoolAccess::take_memory(pool);
        publish(static_cast<int>(id));
      }
    } catch (...) {
      return_buffers_to(pool);
      throw;
    }
    detail::BufferPoolAccess::set_ring(pool, this);
  }
  ProvidedBuffers(const ProvidedBuffers&) = delete;
  ProvidedBuffers& operator=(const ProvidedBuffers&) = delete;
  ~ProvidedBuffers() {
    BufferPool* const pool = pool_;
    if (pool == nullptr) {
      release();
      return;
    }
    detail::BufferPoolAccess::set_ring(*pool, nullptr);
    return_buffers_to(*pool);
  }

  [[nodiscard]] std::uint16_t group() const noexcept { return group_; }
  [[nodiscard]] bool fed_by(const BufferPool& pool) const noexcept { return pool_ == &pool; }
  /// Its pool has gone: it is unregistered and holds nothing, and its group number is free.
  [[nodiscard]] bool retired() const noexcept { return pool_ == nullptr; }

  bool refill(std::unique_ptr<char[]>& memory) noexcept override {
    // Every buffer is in the kernel's hands, or the ring is gone.
    if (free_ids_.empty() || ring_ == nullptr) return false;
    const int id = free_ids_.back();
    free_ids_.pop_back();
    lent_[static_cast<std::size_t>(id)] = std::move(memory);
    publish(id);
    return true;
  }

  char* take(int id) noexcept override {
    free_ids_.push_back(id);
    return lent_[static_cast<std::size_t>(id)].release();
  }

  void pool_destroyed() noexcept override {
    pool_ = nullptr;
    release();  // no receive can be waiting on it: the pool outlives every receive using it
  }

 private:
  static unsigned entries_for(const BufferPool& pool) noexcept {
    unsigned entries = 1;
    while (entries * 2 <= std::min<std::size_t>(pool.max_idle(), 32768)) entries *= 2;
    return entries;
  }

  /// Hands buffer `id` to the kernel, the bytes to go after the pool's headroom.
  void publish(int id) noexcept {
    char* const start = lent_[static_cast<std::size_t>(id)].get() + pool_->headroom();
    io_uring_buf_ring_add(ring_, start, static_cast<unsigned>(pool_->receive_size()),
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(entries_), 0);
    io_uring_buf_ring_advance(ring_, 1);
  }

  /// Unregisters the ring: the kernel lends nothing more from it.
  void unregister() noexcept {
    if (ring_ != nullptr) {
      io_uring_unregister_buf_ring(uring_, group_);
      ::munmap(ring_, entries_ * sizeof(io_uring_buf));
    }
    ring_ = nullptr;
  }

  /// Unregisters the ring, then gives what it held back to `pool` (kept idle, or freed: the pool
  /// counts the buffers it has made).
  void return_buffers_to(BufferPool& pool) noexcept {
    unregister();  // the kernel lets go first
    for (std::unique_ptr<char[]>& memory : lent_) {
      if (memory) const auto back = detail::BufferPoolAccess::adopt(pool, memory.release());
    }
    release();
  }

  /// Unregisters the ring and frees what it held.
  void release() noexcept {
    unregister();
    lent_.clear();
    free_ids_.clear();
  }

  io_uring* uring_;
  BufferPool* pool_;
  std::uint16_t group_;
  unsigned entries_;
  io_uring_buf_ring* ring_ = nullptr;          // registered with the kernel while not null
  std::vector<std::unique_ptr<char[]>> lent_;  // by buffer id: the memory in the kernel's hands
  std::vector<int> free_ids_;                  // ids whose buffer a receive has taken
};

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

  std::optional<std::uint16_t> buffer_group(BufferPool& pool) noexcept override {
    if (detail::BufferPoolAccess::ring(pool) != nullptr) {
      for (const std::unique_ptr<ProvidedBuffers>& buffers : provided_) {
        if (buffers->fed_by(pool)) return buffers->group();
      }
      return std::nullopt;  // it feeds another scheduler's ring
    }
    if (!provided_buffers_work_) return std::nullopt;
    try {
      // A program that makes and drops pools reuses the group numbers of those gone.
      const auto retired = std::find_if(provided_.begin(), provided_.end(),
                                        [](const auto& buffers) { return buffers->retired(); });
      if (retired != provided_.end()) {
        const std::uint16_t group = (*retired)->group();
        *retired = std::make_unique<ProvidedBuffers>(*ring_, pool, group);
        return group;
      }
      // (UINT16_MAX itself means "no group" to a receive.)
      if (provided_.size() >= UINT16_MAX) return std::nullopt;
      provided_.reserve(provided_.size() + 1);
      const auto group = static_cast<std::uint16_t>(provided_.size());
      provided_.push_back(std::make_unique<ProvidedBuffers>(*ring_, pool, group));
      return group;
    } catch (const std::exception&) {
      // An older kernel (or no memory for the ring): receives wait for readiness and borrow.
      provided_buffers_work_ = false;
      return std::nullopt;
    }
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
      completions_.push_back(to_completion(*waiter, *cqe));
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
      case IoRequest::Call::recv_provided:
        io_uring_prep_recv(entry, fd, nullptr, request.length, 0);
        entry->flags |= IOSQE_BUFFER_SELECT;
        entry->buf_group = request.buffer_group;
        return;
      case IoRequest::Call::poll_readable:
        io_uring_prep_poll_add(entry, fd, POLLIN | POLLRDHUP);
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

  static Completion to_completion(detail::Waiter& waiter, const io_uring_cqe& cqe) noexcept {
    const int result = cqe.res;
    if (waiter.operation != nullptr || result < 0) {
      const bool took_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
      return {
          .waiter = &waiter,
          .result = result,
          .buffer_id = took_buffer ? static_cast<int>(cqe.flags >> IORING_CQE_BUFFER_SHIFT) : -1};
    }
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
  // After ring_: unregistered before the ring is torn down.
  std::vector<std::unique_ptr<ProvidedBuffers>> provided_;
  bool provided_buffers_work_ = true;  // until the kernel refuses a ring
  std::vector<msghdr> headers_;
  std::vector<Completion> completions_;
};

}  // namespace

std::unique_ptr<Poller> make_uring_poller() {
  return std::make_unique<UringPoller>();
}

}  // namespace tasknet::pollers
