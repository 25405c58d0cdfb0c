// Receiving into pooled buffers: borrow-and-recv at the task's turn once the socket is readable,
// or, on a completion driver, a receive into a buffer of the pool that the driver provides.
#include "tasknet/net/receive_operation.hpp"

#include <new>
#include <system_error>

#include "drivers/io_request.hpp"
#include "net/socket_io.hpp"

namespace tasknet {

using detail::Attempt;
using detail::BufferPoolAccess;
using detail::Completion;
using detail::IoRequest;

// The receive borrows when its task's turn comes, so that a buffer is
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
  return result.bytes > 0 && result.bytes < room ? Attempt::done_drained : Attempt::done;
}

IoRequest ReceiveOperation::describe_receive(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  return {.call = IoRequest::Call::receive_pooled,
          .length = self.pool_.receive_size(),
          .pool = &self.pool_};
}

Attempt ReceiveOperation::complete_receive(detail::Waiter& waiter,
                                           const Completion& completion) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  if (completion.buffer != nullptr) self.memory_ = completion.buffer;
  if (net_io::from_completion(completion.result).would_block()) {
    self.give_back();
    return Attempt::would_block;
  }
  self.result_ = completion.result;
  return Attempt::done;
}

void ReceiveOperation::discard_received(detail::Waiter& waiter,
                                        const Completion& completion) noexcept {
  auto& self = static_cast<ReceiveOperation&>(waiter);
  if (completion.buffer != nullptr) self.memory_ = completion.buffer;
  self.give_back();  // to the pool, and from there to whoever lends it on
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
