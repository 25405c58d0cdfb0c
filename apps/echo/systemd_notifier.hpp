// systemd's readiness protocol, the sending end, without libsystemd (sd_notify(3)): a service of
// Type=notify tells the service manager that it is ready, or stopping, by sending a datagram such
// as "READY=1" to the Unix socket named in $NOTIFY_SOCKET.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

namespace tasknet::echo {

class SystemdNotifier {
 public:
  /// Reads $NOTIFY_SOCKET (a path, or '@' and a name in the abstract namespace) and unsets it,
  /// so that nothing this process starts notifies in its name. Unset: a notifier that sends
  /// nothing. `problem()` says why a value that is set cannot be used (too long, or a kind of
  /// address other than a Unix socket's, such as vsock:): the notifier then sends nothing.
  static SystemdNotifier from_environment();

  /// Whether notify() sends anything.
  [[nodiscard]] bool enabled() const noexcept { return length_ > 0; }
  /// Why $NOTIFY_SOCKET was set but cannot be used; empty if it can, or was not set.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

  /// Sends `state` ("READY=1", "STOPPING=1"; several assignments one per line) in one datagram,
  /// from a socket of its own opened for the purpose. Returns an empty string, or what failed
  /// ("sendto @/org/...: Connection refused"): the service goes on either way, as with
  /// sd_notify(3), whose errors daemons log and otherwise ignore.
  [[nodiscard]] std::string notify(std::string_view state) const;

 private:
  sockaddr_un address_{};
  socklen_t length_ = 0;  // 0: disabled
  std::string name_;      // as given, for messages
  std::string problem_;
};

}  // namespace tasknet::echo
