// Receiving into pooled buffers on both kinds of backend: borrow-and-recv at the task's turn once
// a readiness backend says the socket is readable; a recv from the pool's ring of provided buffers
// on io_uring, or, if that ring has run dry, a poll and then borrow-and-recv at the task's turn.
#include "tasknet/net/receive_operation.hpp"

#include <new>
#include <system_error>

#include "net/socket_io.hpp"
#include "tasknet/poller.hpp"

namespace tasknet {

using detail::Attempt;
using detail::BufferPoolAccess;
using detail::IoRequest;

// On a readiness backend the receive borrows when its task's turn comes, so that a buffer is
// held from the receive to the reply and one buffer can serve connection after connection.
const detail::Operation ReceiveOperation::io{.attempt = &attempt_receive,
                                             .describe = &describe_receive,
                                             .complete = &complete_receive,
                                             .discard = &discard_received,
                                             .attempt_at_turn = true};

ReceiveOperation::ReceiveOperation(FileDescriptor& socket, BufferPool& pool,
                                   const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::readable, options, &io, true),
      socket_(socket),
      pool_(pool) {}

ReceiveOperation::~ReceiveOperation() {
  give_back();  // a frame destroyed between the completion and the resumption
}

void ReceiveOperation::give_back() noexcept {
  if (memory_ == nullptr) return;
  const BufferPool::Buffer returned = BufferPoolAccess::adopt(pool_, memory_);  // and back it goes
  memory_ = nullptr;
}

Attempt ReceiveOperation::attempt_receive(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  try {
    if (self.memory_ == nullptr) self.memory_ = BufferPoolAccess::take_memory(self.pool_).release();
  } catch (const std::bad_alloc&) {
    self.result_ = -ENOMEM;
    return Attempt::done;
  }
  const std::size_t room = self.pool_.receive_size();
  const net_io::Result result =
      net_io::recv_once(self.fd, self.memory_ + self.pool_.headroom(), room);
  if (result.would_block()) {
    self.give_back();  // nothing came: a connection waiting for bytes holds no buffer
    return Attempt::would_block;
  }
  self.result_ = result.error != 0 ? -result.error : static_cast<std::int32_t>(result.bytes);
  // A short read of a stream drained it: an edge-triggered poller will report the next data.
  if (result.bytes > 0 && result.bytes < room) self.mark_not_ready();
  return Attempt::done;
}

IoRequest ReceiveOperation::describe_receive(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  if (self.group_ == no_group) return {.call = IoRequest::Call::poll_readable};
  return {.call = IoRequest::Call::recv_provided,
          .length = self.pool_.receive_size(),
          .buffer_group = self.group_};
}

void ReceiveOperation::adopt_provided(const Completion& completion) noexcept {
  if (completion.buffer_id < 0) return;
  memory_ = BufferPoolAccess::ring(pool_)->take(completion.buffer_id);
}

Attempt ReceiveOperation::complete_receive(detail::Waiter& waiter,
                                           const Completion& completion) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  if (self.group_ == no_group) {  // a poll: the socket is readable (or failed)
    if (completion.result < 0) {
      self.result_ = completion.result;
      return Attempt::done;
    }
    return Attempt::try_at_turn;  // borrow and receive then, as on a readiness backend
  }
  self.adopt_provided(completion);
  if (completion.result == -ENOBUFS) {
    // Every buffer of the ring is held by a connection: this receive waits for readiness and
    // borrows instead (the pool lends beyond the ring); the next one tries the ring again.
    self.group_ = no_group;
    return Attempt::would_block;
  }
  if (net_io::from_completion(completion.result).would_block()) return Attempt::would_block;
  self.result_ = completion.result;
  return Attempt::done;
}

void ReceiveOperation::discard_received(detail::Waiter& waiter,
                                        const Completion& completion) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  self.adopt_provided(completion);
  self.give_back();  // to the pool, and from there to its ring
}

Received ReceiveOperation::await_resume() {
  if (status != WaitStatus::ready || result_ <= 0) {
    give_back();
    if (status != WaitStatus::ready) return Received{.status = status};
    if (result_ < 0) throw std::system_error(-result_, std::system_category(), "recv");
    return Received{};  // end of stream
  }
  return Received{.buffer = BufferPoolAccess::adopt(pool_, std::exchange(memory_, nullptr)),
                  .size = static_cast<std::uint32_t>(result_)};
}

}  // namespace tasknet
