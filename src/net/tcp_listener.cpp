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

AcceptOperation::AcceptOperation(FileDescriptor& listener, bool no_delay,
                                 const WaitOptions& options) noexcept
    : WaitOperation(listener.get(), Direction::readable, options, &attempt_accept, true),
      listener_(listener),
      no_delay_(no_delay) {}

AcceptOperation::~AcceptOperation() {
  // Accepted but never collected (the frame died in between): do not leak the connection.
  if (accepted_fd_ >= 0) ::close(accepted_fd_);
}

detail::Attempt AcceptOperation::attempt_accept(detail::Waiter& waiter) noexcept {
  auto& self = static_cast<AcceptOperation&>(waiter);
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(self.fd, reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      try {
        self.peer_ = Address::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), length);
      } catch (...) {
        ::close(fd);  // not TCP over IP: nothing we serve
        continue;
      }
      if (self.no_delay_) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      }
      self.accepted_fd_ = fd;
      return detail::Attempt::done;
    }
    // The connection died in the backlog: take the next one.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return detail::Attempt::would_block;
    self.error_ = errno;
    return detail::Attempt::done;
  }
}

Accepted AcceptOperation::await_resume() {
  throw_if_interrupted("accept");
  if (error_ != 0) throw std::system_error(error_, std::system_category(), "accept");
  return Accepted{Socket{FileDescriptor{std::exchange(accepted_fd_, -1)}}, peer_};
}

ConnectOperation::ConnectOperation(const Address& address, const WaitOptions& options) noexcept
    : WaitOperation(-1, Direction::writable, options, &attempt_finish, true), address_(address) {}

bool ConnectOperation::begin(Scheduler& scheduler) noexcept {
  const int opened = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (opened < 0) {
    error_ = errno;
    return true;
  }
  socket_ = Socket{FileDescriptor{opened}};
  socket_.descriptor().attach(scheduler);  // a fresh descriptor: cannot be bound elsewhere
  fd = opened;                             // the descriptor this operation waits on
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

Socket ConnectOperation::await_resume() {
  const std::string what = "connect to " + address_.to_string();
  throw_if_interrupted(what.c_str());
  if (error_ != 0) throw std::system_error(error_, std::system_category(), what);
  return std::move(socket_);
}

}  // namespace tasknet
