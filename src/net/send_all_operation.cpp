// send_all: sends, and on would-block waits and sends the rest, until everything has gone. Each
// step returns would_block to stay parked (readiness) or to be submitted again (completion).
#include "tasknet/net/send_all_operation.hpp"

#include <system_error>

#include "drivers/io_request.hpp"
#include "net/socket_io.hpp"

namespace tasknet {

using detail::Attempt;
using detail::Completion;
using detail::IoRequest;

const detail::Operation SendAllOperation::io{&attempt_send_rest, &describe_send_rest,
                                             &complete_send_rest};

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::string_view data,
                                   const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &io, true),
      socket_(socket),
      single_{const_cast<char*>(data.data()), data.size()},
      pieces_(&single_, 1) {}

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::span<iovec> pieces,
                                   const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &io, true),
      socket_(socket),
      single_{},
      pieces_(pieces) {}

void SendAllOperation::skip_empty_pieces() noexcept {
  while (!pieces_.empty() && pieces_.front().iov_len == 0) pieces_ = pieces_.subspan(1);
}

void SendAllOperation::consume(std::size_t bytes) noexcept {
  sent_ += bytes;
  while (!pieces_.empty() && bytes >= pieces_.front().iov_len) {
    bytes -= pieces_.front().iov_len;
    pieces_ = pieces_.subspan(1);
  }
  if (bytes > 0) {
    pieces_.front().iov_base = static_cast<char*>(pieces_.front().iov_base) + bytes;
    pieces_.front().iov_len -= bytes;
  }
}

Attempt SendAllOperation::attempt_send_rest(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  const std::span<iovec>& left = self.pieces_;
  for (;;) {
    self.skip_empty_pieces();
    if (left.empty()) break;
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
    self.consume(result.bytes);  // usually all of it at once
  }
  return Attempt::done;
}

IoRequest SendAllOperation::describe_send_rest(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  self.skip_empty_pieces();
  if (self.pieces_.size() <= 1) {  // a plain send, as above; empty data sends nothing once
    const iovec piece = self.pieces_.empty() ? iovec{} : self.pieces_.front();
    return {.call = IoRequest::Call::send, .data = piece.iov_base, .length = piece.iov_len};
  }
  return {
      .call = IoRequest::Call::sendmsg, .data = self.pieces_.data(), .length = self.pieces_.size()};
}

Attempt SendAllOperation::complete_send_rest(detail::Waiter& waiter,
                                             const Completion& completion) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  const net_io::Result sent = net_io::from_completion(completion.result);
  if (sent.would_block()) return Attempt::would_block;
  if (sent.error != 0) {
    self.error_ = sent.error;
    return Attempt::done;
  }
  self.consume(sent.bytes);
  self.skip_empty_pieces();
  return self.pieces_.empty() ? Attempt::done : Attempt::would_block;
}

void SendAllOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
}

}  // namespace tasknet
