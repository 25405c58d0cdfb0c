// Binding and listening, and the accept and connect operations.
#include "tasknet/net/tcp_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "tasknet/net/connect_operation.hpp"

namespace tasknet {
namespace {

/// The connection died in the backlog (or was never there): take the next one.
bool worth_retrying(int error) noexcept {
  return error == EINTR || error == ECONNABORTED || error == EPROTO || error == EAGAIN ||
         error == EWOULDBLOCK;
}

FileDescriptor open_stream_socket(int family, const char* what) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::system_category(), what);
  return FileDescriptor{fd};
}

void enable(int fd, int level, int option, const char* what) {
  const int on = 1;
  if (::setsockopt(fd, level, option, &on, sizeof on) != 0) {
    throw std::system_error(errno, std::system_category(), what);
  }
}

}  // namespace

TcpListener TcpListener::bind(const Address& address, const ListenOptions& options) {
  const std::string where = address.to_string();
  FileDescriptor fd = open_stream_socket(address.family(), ("socket for " + where).c_str());
  if (options.reuse_address) enable(fd.get(), SOL_SOCKET, SO_REUSEADDR, "setsockopt(SO_REUSEADDR)");
  if (options.reuse_port) enable(fd.get(), SOL_SOCKET, SO_REUSEPORT, "setsockopt(SO_REUSEPORT)");
  if (::bind(fd.get(), address.data(), address.size()) != 0) {
    throw std::system_error(errno, std::system_category(), "bind " + where);
  }
  if (::listen(fd.get(), options.backlog) != 0) {
    throw std::system_error(errno, std::system_category(), "listen on " + where);
  }
  return TcpListener{Socket{std::move(fd)}, options.no_delay};
}

const detail::Operation AcceptOperation::io{&attempt_accept, &describe_accept, &complete_accept,
                                            &discard_accepted, true};
const detail::Operation ConnectOperation::io{&attempt_finish, &describe_connect, &complete_connect};

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

ConnectOperation::ConnectOperation(const Address& address, const WaitOptions& options) noexcept
    : WaitOperation(-1, Direction::writable, options, &io, true), address_(address) {}

bool ConnectOperation::begin(Scheduler& scheduler) noexcept {
  const int opened = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (opened < 0) {
    error_ = errno;
    return true;
  }
  socket_ = Socket{FileDescriptor{opened}};
  socket_.descriptor().attach(scheduler);           // a fresh descriptor: cannot be bound elsewhere
  fd = opened;                                      // the descriptor this operation waits on
  if (submits_operations(scheduler)) return false;  // connects when start() submits it
  if (::connect(fd, address_.data(), address_.size()) == 0) return true;
  if (errno != EINPROGRESS && errno != EINTR) {
    error_ = errno;
    return true;
  }
  // The handshake is under way: SO_ERROR says 0 until it fails, so only the writable edge tells
  // that it is done. Recorded after attach(), or the scheduler would not know the descriptor.
  socket_.descriptor().mark_not_ready(Direction::writable);
  return false;
}

detail::Attempt ConnectOperation::attempt_finish(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<ConnectOperation&>(waiter);
  socklen_t length = sizeof self.error_;
  if (::getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &self.error_, &length) != 0) self.error_ = errno;
  return detail::Attempt::done;
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
