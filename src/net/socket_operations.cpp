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
      single_{const_cast<char*>(data.data()), data.size()},
      pieces_(&single_, 1),
      left_(data.size()) {}

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::span<iovec> pieces,
                                   const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &attempt_send_rest, true),
      socket_(socket),
      single_{},
      pieces_(pieces) {
  for (const iovec& piece : pieces) left_ += piece.iov_len;
}

Attempt SendAllOperation::attempt_send_rest(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  std::span<iovec>& left = self.pieces_;
  while (self.left_ > 0) {
    if (left.front().iov_len == 0) {
      left = left.subspan(1);
      continue;
    }
    // One piece: a plain send, which the kernel takes a little faster than sendmsg.
    const net_io::Result result =
        left.size() == 1 ? net_io::send_once(self.fd, static_cast<const char*>(left[0].iov_base),
                                             left[0].iov_len)
                         : net_io::sendmsg_once(self.fd, left);
    if (result.would_block()) return Attempt::would_block;
    if (result.error != 0) {
      self.error_ = result.error;
      break;
    }
    self.sent_ += result.bytes;
    self.left_ -= result.bytes;
    if (self.left_ == 0) break;  // the usual case: all of it at once
    // Step past what went: whole pieces, then into the first one not finished.
    std::size_t sent = result.bytes;
    while (!left.empty() && sent >= left.front().iov_len) {
      sent -= left.front().iov_len;
      left = left.subspan(1);
    }
    if (sent > 0) {
      left.front().iov_base = static_cast<char*>(left.front().iov_base) + sent;
      left.front().iov_len -= sent;
    }
  }
  return Attempt::done;
}

void SendAllOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
}

}  // namespace tasknet
