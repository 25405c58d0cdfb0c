#include "blocking_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace tasknet::testing {

BlockingClient::BlockingClient(std::uint16_t port, bool ipv6, int timeout_s) {
  fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "test client socket");
  timeval limit{timeout_s, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  const int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  int rc = 0;
  if (ipv6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  if (rc != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::system_category(), "test client connect");
  }
}

BlockingClient::BlockingClient(BlockingClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

BlockingClient& BlockingClient::operator=(BlockingClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

BlockingClient::~BlockingClient() {
  if (fd_ >= 0) ::close(fd_);
}

void BlockingClient::send_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::system_category(), "test client send");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string BlockingClient::recv_some(std::size_t max) {
  std::string data(max, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd_, data.data(), data.size(), 0);
    if (n >= 0) {
      data.resize(static_cast<std::size_t>(n));
      return data;
    }
    if (errno == EINTR) continue;
    throw std::system_error(errno, std::system_category(), "test client recv");
  }
}

std::string BlockingClient::recv_exactly(std::size_t size) {
  std::string data;
  while (data.size() < size) {
    const std::string part = recv_some(size - data.size());
    if (part.empty()) {
      throw std::runtime_error("test client: end of stream after " + std::to_string(data.size()) +
                               " of " + std::to_string(size) + " bytes");
    }
    data += part;
  }
  return data;
}

std::string BlockingClient::recv_until_eof() {
  std::string data;
  for (std::string part = recv_some(); !part.empty(); part = recv_some()) data += part;
  return data;
}

void BlockingClient::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

void BlockingClient::reset() {
  const linger abort_on_close{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(std::exchange(fd_, -1));
}

}  // namespace tasknet::testing
