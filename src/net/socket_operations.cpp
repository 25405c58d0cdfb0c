// recv, send and send_all on both kinds of backend: the attempts a readiness backend retries
// when the socket is ready, and the descriptions and completions of a completion backend. Each
// returns would_block to stay parked (readiness) or to be submitted again (completion).
#include <system_error>

#include "net/socket_io.hpp"
#include "tasknet/net/recv_operation.hpp"
#include "tasknet/net/send_all_operation.hpp"
#include "tasknet/net/send_operation.hpp"

namespace tasknet {

using detail::Attempt;
using detail::IoRequest;

namespace {
using net_io::from_completion;

/// A recv's or send's completion: stores the bytes or the error, or says it found nothing.
Attempt take_completion(int result, std::size_t& bytes, int& error) noexcept {
  const net_io::Result taken = from_completion(result);
  if (taken.would_block()) return Attempt::would_block;
  bytes = taken.bytes;
  error = taken.error;
  return Attempt::done;
}
}  // namespace

const detail::Operation RecvOperation::io{&attempt_recv, &describe_recv, &complete_recv};
const detail::Operation SendOperation::io{&attempt_send, &describe_send, &complete_send};
const detail::Operation SendAllOperation::io{&attempt_send_rest, &describe_send_rest,
                                             &complete_send_rest};

RecvOperation::RecvOperation(FileDescriptor& socket, std::span<char> buffer,
                             const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::readable, options, &io, true),
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

IoRequest RecvOperation::describe_recv(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<RecvOperation&>(waiter);
  return {
      .call = IoRequest::Call::recv, .data = self.buffer_.data(), .length = self.buffer_.size()};
}

Attempt RecvOperation::complete_recv(detail::Waiter& waiter,
                                     const Completion& completion) noexcept {
  auto& self = static_cast<RecvOperation&>(waiter);
  return take_completion(completion.result, self.received_, self.error_);
}

std::size_t RecvOperation::await_resume() const {
  throw_if_interrupted("recv");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "recv");
  return received_;
}

SendOperation::SendOperation(FileDescriptor& socket, std::string_view data,
                             const WaitOptions& options) noexcept
    : WaitOperation(socket.get(), Direction::writable, options, &io, true),
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

IoRequest SendOperation::describe_send(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<SendOperation&>(waiter);
  return {.call = IoRequest::Call::send,
          .data = const_cast<char*>(self.data_.data()),
          .length = self.data_.size()};
}

Attempt SendOperation::complete_send(detail::Waiter& waiter,
                                     const Completion& completion) noexcept {
  auto& self = static_cast<SendOperation&>(waiter);
  return take_completion(completion.result, self.sent_, self.error_);
}

std::size_t SendOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
  return sent_;
}

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
  const net_io::Result sent = from_completion(completion.result);
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
