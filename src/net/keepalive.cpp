// TCP keepalive and the user timeout tied to it.
#include "tasknet/net/keepalive.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace tasknet {
namespace {

void set_option(int fd, int level, int option, int value, const char* what) {
  if (::setsockopt(fd, level, option, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::system_category(), what);
  }
}

int whole_seconds(std::chrono::seconds duration) {
  return static_cast<int>(duration.count());
}

}  // namespace

void set_keepalive(int fd, const KeepAlive& keepalive) {
  set_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, whole_seconds(keepalive.idle),
             "setsockopt(TCP_KEEPIDLE)");
  set_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, whole_seconds(keepalive.interval),
             "setsockopt(TCP_KEEPINTVL)");
  set_option(fd, IPPROTO_TCP, TCP_KEEPCNT, keepalive.probes, "setsockopt(TCP_KEEPCNT)");
  const auto user_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(keepalive.dead_after());
  set_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(user_timeout.count()),
             "setsockopt(TCP_USER_TIMEOUT)");
  set_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "setsockopt(SO_KEEPALIVE)");
}

}  // namespace tasknet
