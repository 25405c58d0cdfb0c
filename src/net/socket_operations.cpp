// The attempts behind recv, send and send_all: what the scheduler retries when the poller says
// the socket is ready. Each returns would_block to stay parked.
#include <system_error>

#include "net/socket_io.hpp"
#include "tasknet/net/recv_operation.hpp"
#include "tasknet/net/send_all_operation.hpp"
#include "tasknet/net/send_operation.hpp"

namespace tasknet {

using detail::Attempt;

RecvOperation::RecvOperation(FileDescriptor& socket, std::span<char> buffer,
                             const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::readable, options, &attempt_recv, true),
      socket_(socket),
      buffer_(buffer) {}

Attempt RecvOperation::attempt_recv(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<RecvOperation&>(waiter);
  const net_io::Result result =
      net_io::recv_once(self.fd, self.buffer_.data(), self.buffer_.size());
  if (result.would_block()) return Attempt::would_block;
  self.received_ = result.bytes;
  self.error_ = result.error;
  // A short read of a stream drained it: an edge-triggered poller will report the next data.
  if (result.bytes > 0 && result.bytes < self.buffer_.size()) self.mark_not_ready();
  return Attempt::done;
}

std::size_t RecvOperation::await_resume() const {
  throw_if_interrupted("recv");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "recv");
  return received_;
}

SendOperation::SendOperation(FileDescriptor& socket, std::string_view data,
                             const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &attempt_send, true),
      socket_(socket),
      data_(data) {}

Attempt SendOperation::attempt_send(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendOperation&>(waiter);
  const net_io::Result result = net_io::send_once(self.fd, self.data_.data(), self.data_.size());
  if (result.would_block()) return Attempt::would_block;
  self.sent_ = result.bytes;
  self.error_ = result.error;
  return Attempt::done;
}

std::size_t SendOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
  return sent_;
}

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::string_view data,
                                   const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &attempt_send_rest, true),
      socket_(socket),
      data_(data) {}

Attempt SendAllOperation::attempt_send_rest(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  while (self.sent_ < self.data_.size()) {
    const net_io::Result result =
        net_io::send_once(self.fd, self.data_.data() + self.sent_, self.data_.size() - self.sent_);
    if (result.would_block()) return Attempt::would_block;
    if (result.error != 0) {
      self.error_ = result.error;
      break;
    }
    self.sent_ += result.bytes;
  }
  return Attempt::done;
}

void SendAllOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
}

}  // namespace tasknet
