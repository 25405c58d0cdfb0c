// Binding and listening.
#include "tasknet/net/tcp_listener.hpp"

#include <sys/socket.h>

#include <cerrno>
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

}  // namespace

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
