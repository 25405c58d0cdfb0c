// send_all: sends, and on would-block waits and sends the rest, until everything has gone. Each
// step returns would_block to stay parked (readiness) or to be submitted again (completion).
#include "tasknet/net/send_all_operation.hpp"

#include <algorithm>
#include <system_error>

#include "drivers/io_request.hpp"
#include "net/socket_io.hpp"

namespace tasknet {

using detail::Attempt;
using detail::Completion;
using detail::IoRequest;

const detail::Operation SendAllOperation::io{.attempt = &attempt_send_rest,
                                             .describe = &describe_send_rest,
                                             .complete = &complete_send_rest,
                                             .extend_deadline = &extend_deadline};

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

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::string_view data,
                                   const Clock::duration& progress_timeout, StopRef stop) noexcept
    : SendAllOperation(socket, data, WaitOptions{.stop = stop}) {
  start_progress_timeout(progress_timeout);
}

SendAllOperation::SendAllOperation(FileDescriptor& socket, std::span<iovec> pieces,
                                   const Clock::duration& progress_timeout, StopRef stop) noexcept
    : SendAllOperation(socket, pieces, WaitOptions{.stop = stop}) {
  start_progress_timeout(progress_timeout);
}

void SendAllOperation::start_progress_timeout(const Clock::duration& timeout) noexcept {
  if (timeout <= Clock::duration::zero()) return;
  progress_timeout_ = timeout;
  progressed_at_ = Clock::now();
  has_deadline = true;
  deadline = progressed_at_ + timeout / 4;  // the first look; a send that goes at once needs none
}

bool SendAllOperation::extend_deadline(detail::Waiter& waiter, TimePoint now) noexcept {
  auto& self = static_cast<SendAllOperation&>(waiter);
  if (self.progress_timeout_ == Clock::duration::zero()) return false;
  const int unacknowledged = net_io::unacknowledged_bytes(self.fd);
  if (unacknowledged >= 0) {
    // Acknowledged some time since the last look: counted as now, so at most a look late.
    if (unacknowledged < self.unacknowledged_) self.progressed_at_ = now;
    self.unacknowledged_ = unacknowledged;
  }
  const TimePoint expires = self.progressed_at_ + self.progress_timeout_;
  if (expires <= now) return false;
  self.deadline = std::min(expires, now + self.progress_timeout_ / 4);
  return true;
}

Attempt SendAllOperation::waiting_for_room() noexcept {
  if (progress_timeout_ > Clock::duration::zero()) {
    unacknowledged_ = net_io::unacknowledged_bytes(fd);
  }
  return Attempt::would_block;
}

void SendAllOperation::skip_empty_pieces() noexcept {
  while (!pieces_.empty() && pieces_.front().iov_len == 0) pieces_ = pieces_.subspan(1);
}

void SendAllOperation::consume(std::size_t bytes) noexcept {
  sent_ += bytes;
  if (progress_timeout_ > Clock::duration::zero() && bytes > 0) progressed_at_ = Clock::now();
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
    if (result.would_block()) return self.waiting_for_room();
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
  if (sent.would_block()) return self.waiting_for_room();
  if (sent.error != 0) {
    self.error_ = sent.error;
    return Attempt::done;
  }
  self.consume(sent.bytes);
  self.skip_empty_pieces();
  return self.pieces_.empty() ? Attempt::done : self.waiting_for_room();
}

void SendAllOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
}

}  // namespace tasknet
