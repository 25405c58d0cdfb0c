// connect: opens a socket and connects it, reporting refusal as an error.
#include "tasknet/net/connect_operation.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <new>
#include <system_error>

#include "drivers/io_request.hpp"

namespace tasknet {

using detail::Completion;

const detail::Operation ConnectOperation::io{
    .attempt = &attempt_connect, .describe = &describe_connect, .complete = &complete_connect};

ConnectOperation::ConnectOperation(const Address& address, const WaitOptions& options) noexcept
    : WaitOperation(-1, Direction::writable, options, &io, true), address_(address) {}

bool ConnectOperation::open(Scheduler& scheduler) noexcept {
  const int opened = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (opened < 0) {
    error_ = errno;
    return false;
  }
  socket_ = Socket{FileDescriptor{opened}};
  try {
    socket_.descriptor().attach(scheduler);  // a fresh descriptor: bound nowhere else
  } catch (...) {                            // only memory can run out here
    error_ = ENOMEM;
    return false;
  }
  fd = opened;  // the descriptor this operation waits on
  return true;
}

detail::Attempt ConnectOperation::attempt_connect(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ConnectOperation&>(waiter);
  if (self.handshaking_) {  // reported writable: the handshake is over, one way or the other
    socklen_t length = sizeof self.error_;
    if (::getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &self.error_, &length) != 0) {
      self.error_ = errno;
    }
    return detail::Attempt::done;
  }
  if (::connect(self.fd, self.address_.data(), self.address_.size()) == 0) {
    return detail::Attempt::done;
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    self.error_ = errno;
    return detail::Attempt::done;
  }
  // The handshake is under way: SO_ERROR says 0 until it fails, so only the writable edge tells
  // that it is done.
  self.handshaking_ = true;
  return detail::Attempt::would_block;
}

detail::IoRequest ConnectOperation::describe_connect(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ConnectOperation&>(waiter);
  return {.call = detail::IoRequest::Call::connect,
          .data = const_cast<sockaddr*>(self.address_.data()),
          .length = self.address_.size()};
}

detail::Attempt ConnectOperation::complete_connect(detail::Waiter& waiter,
                                                   const Completion& completion) noexcept {
  auto& self = static_cast<ConnectOperation&>(waiter);
  self.error_ = completion.result < 0 ? -completion.result : 0;
  return detail::Attempt::done;
}

Socket ConnectOperation::await_resume() {
  const std::string what = "connect to " + address_.to_string();
  throw_if_interrupted(what.c_str());
  if (error_ != 0) throw std::system_error(error_, std::system_category(), what);
  return std::move(socket_);
}

}  // namespace tasknet
