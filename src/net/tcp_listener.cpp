// Binding and listening, or adopting a socket that listens already.
#include "tasknet/net/tcp_listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

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

int socket_option(int fd, int option, const std::string& what) {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &size) != 0) {
    throw std::system_error(errno, std::system_category(), what);
  }
  return value;
}

/// Why `fd` cannot serve as a TCP listener, or nullptr if it can.
const char* unfit_to_listen(int fd, const std::string& what) {
  const int domain = socket_option(fd, SO_DOMAIN, what);
  if (domain != AF_INET && domain != AF_INET6) return "not an IPv4 or IPv6 socket";
  if (socket_option(fd, SO_TYPE, what) != SOCK_STREAM) return "not a stream socket";
  if (socket_option(fd, SO_PROTOCOL, what) != IPPROTO_TCP) return "not TCP";
  if (socket_option(fd, SO_ACCEPTCONN, what) == 0) return "not listening";
  return nullptr;
}

void set_descriptor_flags(int fd, const std::string& what) {
  const int status = ::fcntl(fd, F_GETFL);
  const int descriptor = ::fcntl(fd, F_GETFD);
  if (status < 0 || descriptor < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0 ||
      ::fcntl(fd, F_SETFD, descriptor | FD_CLOEXEC) != 0) {
    throw std::system_error(errno, std::system_category(), what);
  }
}

}  // namespace

TcpListener TcpListener::adopt(FileDescriptor fd, const ListenOptions& options) {
  const std::string which = "descriptor " + std::to_string(fd.get());
  if (const char* why = unfit_to_listen(fd.get(), "getsockopt on " + which)) {
    throw std::invalid_argument(which + " is not a listening TCP socket: " + why);
  }
  set_descriptor_flags(fd.get(), "fcntl on " + which);
  if (options.keepalive) set_keepalive(fd.get(), *options.keepalive);
  return TcpListener{Socket{std::move(fd)}, options.no_delay};
}

TcpListener TcpListener::bind(const Address& address, const ListenOptions& options) {
  const std::string where = address.to_string();
  FileDescriptor fd = open_stream_socket(address.family(), ("socket for " + where).c_str());
  if (options.reuse_address) enable(fd.get(), SOL_SOCKET, SO_REUSEADDR, "setsockopt(SO_REUSEADDR)");
  if (options.reuse_port) enable(fd.get(), SOL_SOCKET, SO_REUSEPORT, "setsockopt(SO_REUSEPORT)");
  if (options.keepalive) set_keepalive(fd.get(), *options.keepalive);
  if (::bind(fd.get(), address.data(), address.size()) != 0) {
    throw std::system_error(errno, std::system_category(), "bind " + where);
  }
  if (::listen(fd.get(), options.backlog) != 0) {
    throw std::system_error(errno, std::system_category(), "listen on " + where);
  }
  return TcpListener{Socket{std::move(fd)}, options.no_delay};
}

}  // namespace tasknet
