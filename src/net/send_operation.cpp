// send: tried when the socket may be writable, or submitted to a completion driver.
#include "tasknet/net/send_operation.hpp"

#include <system_error>

#include "drivers/io_request.hpp"
#include "net/socket_io.hpp"

namespace tasknet {

using detail::Attempt;
using detail::Completion;
using detail::IoRequest;

const detail::Operation SendOperation::io{&attempt_send, &describe_send, &complete_send};

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
  return net_io::take_result(completion.result, self.sent_, self.error_) ? Attempt::done
                                                                         : Attempt::would_block;
}

std::size_t SendOperation::await_resume() const {
  throw_if_interrupted("send");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "send");
  return sent_;
}

}  // namespace tasknet
