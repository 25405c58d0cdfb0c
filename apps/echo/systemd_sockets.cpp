#include "systemd_sockets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "one_line.hpp"

namespace tasknet::echo {
namespace {

constexpr int first_passed_fd = 3;  // SD_LISTEN_FDS_START

/// $name as a whole non-negative number, or nullopt if unset; throws if it is something else.
std::optional<long> number_from_environment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  const std::string_view value(text);
  long number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || number < 0) {
    throw std::invalid_argument(std::string(name) + "=" + apps::one_line(value) +
                                ": not a number (socket activation, sd_listen_fds(3))");
  }
  return number;
}

/// Unsets the variables however this function leaves, as sd_listen_fds(1) does.
struct UnsetWhenDone {
  UnsetWhenDone() = default;
  UnsetWhenDone(const UnsetWhenDone&) = delete;
  UnsetWhenDone& operator=(const UnsetWhenDone&) = delete;
  ~UnsetWhenDone() {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
  }
};

}  // namespace

std::vector<FileDescriptor> sockets_from_systemd() {
  const UnsetWhenDone unset;
  const std::optional<long> pid = number_from_environment("LISTEN_PID");
  if (!pid || *pid != ::getpid()) return {};  // not activated, or meant for another process
  const long count = number_from_environment("LISTEN_FDS").value_or(0);
  std::vector<FileDescriptor> sockets;
  for (int fd = first_passed_fd; fd < first_passed_fd + count; ++fd) {
    // A failure leaves with the descriptors taken so far closed (they are the vector's).
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      throw std::system_error(errno, std::system_category(),
                              "socket activation: descriptor " + std::to_string(fd));
    }
    sockets.emplace_back(fd);
  }
  return sockets;
}

}  // namespace tasknet::echo
