#include "systemd_notifier.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "one_line.hpp"

namespace tasknet::echo {

SystemdNotifier SystemdNotifier::from_environment() {
  SystemdNotifier notifier;
  const char* value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr) return notifier;
  const std::string name(value);
  ::unsetenv("NOTIFY_SOCKET");  // `value` is gone with it
  notifier.name_ = apps::one_line(name);
  const bool abstract = name.size() > 1 && name.front() == '@';
  if (!abstract && (name.empty() || name.front() != '/')) {
    notifier.problem_ = "NOTIFY_SOCKET=" + notifier.name_ + ": not a Unix socket's path or @name";
    return notifier;
  }
  if (name.size() > sizeof notifier.address_.sun_path) {
    notifier.problem_ = "NOTIFY_SOCKET=" + notifier.name_ + ": too long for a Unix socket";
    return notifier;
  }
  notifier.address_.sun_family = AF_UNIX;
  std::memcpy(notifier.address_.sun_path, name.data(), name.size());
  // An abstract name starts with a NUL byte instead of '@', and its length is exact: no NUL
  // ends it. A path's length counts its terminating NUL (room for it is there when the path is
  // shorter than sun_path; a path of exactly that length needs none).
  if (abstract) notifier.address_.sun_path[0] = '\0';
  const std::size_t path_length =
      abstract || name.size() == sizeof notifier.address_.sun_path ? name.size() : name.size() + 1;
  notifier.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_length);
  return notifier;
}

std::string SystemdNotifier::notify(std::string_view state) const {
  if (!enabled()) return {};
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket for NOTIFY_SOCKET: " + std::system_category().message(errno);
  // Without waiting: a receiver whose queue is full (one that reads nothing) gets no say in when
  // the server starts or stops; the failure is reported like any other.
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&address_), length_);
  const int error = errno;
  ::close(fd);
  if (sent < 0) return "sendto " + name_ + ": " + std::system_category().message(error);
  return {};
}

}  // namespace tasknet::echo
