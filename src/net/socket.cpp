// Socket: the non-waiting calls and socket options.
#include "tasknet/net/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <system_error>

#include "net/socket_io.hpp"

namespace tasknet {

std::optional<std::size_t> Socket::try_recv(std::span<char> buffer) {
  const net_io::Result result = net_io::recv_once(fd(), buffer.data(), buffer.size());
  if (result.would_block()) {
    fd_.mark_not_ready(Direction::readable);
    return std::nullopt;
  }
  if (result.error != 0) throw std::system_error(result.error, std::system_category(), "recv");
  // A short read of a stream drained it: an edge-triggered poller will report the next data.
  if (result.bytes > 0) {
    fd_.record(Direction::readable, result.bytes < buffer.size() ? detail::Attempt::done_drained
                                                                 : detail::Attempt::done);
  }
  return result.bytes;
}

std::optional<std::size_t> Socket::try_send(std::string_view data) {
  const net_io::Result result = net_io::send_once(fd(), data.data(), data.size());
  if (result.would_block()) {
    fd_.mark_not_ready(Direction::writable);
    return std::nullopt;
  }
  if (result.error != 0) throw std::system_error(result.error, std::system_category(), "send");
  return result.bytes;
}

void Socket::shutdown_write() {
  if (::shutdown(fd(), SHUT_WR) != 0) {
    throw std::system_error(errno, std::system_category(), "shutdown");
  }
}

void Socket::set_no_delay(bool enabled) {
  const int value = enabled ? 1 : 0;
  if (::setsockopt(fd(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::system_category(), "setsockopt(TCP_NODELAY)");
  }
}

namespace {
template <typename GetName>
Address name_of(int fd, GetName get_name, const char* what) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (get_name(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw std::system_error(errno, std::system_category(), what);
  }
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), length);
}
}  // namespace

Address Socket::local_address() const {
  return name_of(fd(), ::getsockname, "getsockname");
}
Address Socket::peer_address() const {
  return name_of(fd(), ::getpeername, "getpeername");
}

}  // namespace tasknet
