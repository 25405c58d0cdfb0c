// recv: tried when the socket may be readable, or submitted to a completion driver.
#include "tasknet/net/recv_operation.hpp"

#include <system_error>

#include "drivers/io_request.hpp"
#include "net/socket_io.hpp"

namespace tasknet {

using detail::Attempt;
using detail::Completion;
using detail::IoRequest;

const detail::Operation RecvOperation::io{&attempt_recv, &describe_recv, &complete_recv};

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
  return result.bytes > 0 && result.bytes < self.buffer_.size() ? Attempt::done_drained
                                                                : Attempt::done;
}

IoRequest RecvOperation::describe_recv(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<RecvOperation&>(waiter);
  return {
      .call = IoRequest::Call::recv, .data = self.buffer_.data(), .length = self.buffer_.size()};
}

Attempt RecvOperation::complete_recv(detail::Waiter& waiter,
                                     const Completion& completion) noexcept {
  auto& self = static_cast<RecvOperation&>(waiter);
  return net_io::take_result(completion.result, self.received_, self.error_) ? Attempt::done
                                                                             : Attempt::would_block;
}

std::size_t RecvOperation::await_resume() const {
  throw_if_interrupted("recv");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "recv");
  return received_;
}

}  // namespace tasknet
