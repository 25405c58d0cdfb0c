// accept: takes connections from a listener, a backlog at a time.
#include "tasknet/net/accept_operation.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "drivers/io_request.hpp"

namespace tasknet {
namespace {

/// The connection died in the backlog (or was never there): take the next one.
bool worth_retrying(int error) noexcept {
  return error == EINTR || error == ECONNABORTED || error == EPROTO || error == EAGAIN ||
         error == EWOULDBLOCK;
}

}  // namespace

using detail::Completion;

const detail::Operation AcceptOperation::io{.attempt = &attempt_accept,
                                            .describe = &describe_accept,
                                            .complete = &complete_accept,
                                            .discard = &discard_accepted,
                                            .try_after_completion = true};

AcceptOperation::AcceptOperation(FileDescriptor& listener, bool no_delay,
                                 const WaitOptions& options) noexcept
    : WaitOperation(listener.get(), Direction::readable, options, &io, true),
      listener_(listener),
      no_delay_(no_delay) {}

AcceptOperation::~AcceptOperation() {
  // Accepted but never collected (the frame died in between): do not leak the connection.
  if (accepted_fd_ >= 0) ::close(accepted_fd_);
}

bool AcceptOperation::adopt(int accepted, const sockaddr_storage& peer, socklen_t length) noexcept {
  try {
    peer_ = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer), length);
  } catch (...) {
    ::close(accepted);  // not TCP over IP: nothing we serve
    return false;
  }
  if (no_delay_) {
    const int on = 1;
    ::setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  accepted_fd_ = accepted;
  return true;
}

detail::Attempt AcceptOperation::attempt_accept(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<AcceptOperation&>(waiter);
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int accepted = ::accept4(self.fd, reinterpret_cast<sockaddr*>(&peer), &length,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (accepted >= 0) {
      if (self.adopt(accepted, peer, length)) return detail::Attempt::done;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return detail::Attempt::would_block;
    if (worth_retrying(errno)) continue;
    self.error_ = errno;
    return detail::Attempt::done;
  }
}

detail::IoRequest AcceptOperation::describe_accept(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<AcceptOperation&>(waiter);
  self.peer_length_ = sizeof self.peer_storage_;
  return {.call = detail::IoRequest::Call::accept,
          .data = &self.peer_storage_,
          .address_length = &self.peer_length_};
}

detail::Attempt AcceptOperation::complete_accept(detail::Waiter& waiter,
                                                 const Completion& completion) noexcept {
  auto& self = static_cast<AcceptOperation&>(waiter);
  const int result = completion.result;
  if (result >= 0) {
    return self.adopt(result, self.peer_storage_, self.peer_length_) ? detail::Attempt::done
                                                                     : detail::Attempt::would_block;
  }
  if (worth_retrying(-result)) return detail::Attempt::would_block;
  self.error_ = -result;
  return detail::Attempt::done;
}

void AcceptOperation::discard_accepted(detail::Waiter& /*waiter*/,
                                       const Completion& completion) noexcept {
  if (completion.result >= 0) ::close(completion.result);
}

Accepted AcceptOperation::await_resume() {
  throw_if_interrupted("accept");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "accept");
  return Accepted{Socket{FileDescriptor{std::exchange(accepted_fd_, -1)}}, peer_};
}

}  // namespace tasknet
