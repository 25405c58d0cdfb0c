// tasknet-echo under systemd's protocols, without systemd: started by systemd-socket-activate
// (Debian's systemd package), which listens on a port, passes the socket as descriptor 3 with
// LISTEN_FDS and LISTEN_PID set, and execs the server on the first connection (so its PID is the
// server's); readiness (READY=1, STOPPING=1) read from a Unix datagram socket of the test's own,
// named in NOTIFY_SOCKET. The sd_listen_fds(3) corner cases start the server from /bin/sh, whose
// `exec` keeps the PID that `$$` names.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "blocking_client.hpp"
#include "process.hpp"
#include "tasknet/net/tcp_listener.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::BlockingClient;
using testing::Process;

const std::string program = TASKNET_ECHO_PATH;

/// systemd-socket-activate's path, or empty where it is not installed.
std::string socket_activate() {
  for (const char* candidate : {"/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate",
                                "/usr/local/bin/systemd-socket-activate"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

#define SKIP_WITHOUT_SOCKET_ACTIVATE(tool)                                               \
  if ((tool).empty())                                                                    \
  GTEST_SKIP() << "systemd-socket-activate is not installed (Debian's systemd package; " \
                  "scripts/install-deps installs it): the socket activation cases need it"

/// A Unix datagram socket standing in for systemd's notification socket: abstract ("@name") or
/// a path in a directory of its own.
class NotifySocket {
 public:
  explicit NotifySocket(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "notify socket");
    const std::string unique = std::to_string(::getpid()) + "-" + std::to_string(next_++);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length = 0;
    if (abstract) {
      name_ = "@tasknet-notify-test-" + unique;
      std::memcpy(address.sun_path + 1, name_.data() + 1, name_.size() - 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    } else {
      directory_ = std::filesystem::temp_directory_path() / ("tasknet-notify-" + unique);
      std::filesystem::create_directories(directory_);
      name_ = (directory_ / "notify").string();
      std::memcpy(address.sun_path, name_.c_str(), name_.size() + 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() + 1);
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      throw std::system_error(errno, std::system_category(), "bind " + name_);
    }
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket() {
    ::close(fd_);
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  /// What NOTIFY_SOCKET says.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The next datagram, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::seconds timeout) const {
    timeval limit{.tv_sec = static_cast<time_t>(timeout.count()), .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    char buffer[4096];
    ssize_t received = 0;
    do {
      received = ::recv(fd_, buffer, sizeof buffer, 0);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(received));
  }

 private:
  static inline int next_ = 0;
  int fd_ = -1;
  std::string name_;
  std::filesystem::path directory_;
};

/// A port that was free a moment ago (bound to port 0, read back, closed). Another process may
/// take it in between: the callers try again with another.
std::uint16_t free_port() {
  const TcpListener probe = TcpListener::bind(Address::ipv4_loopback(0));
  return probe.local_address().port();
}

/// systemd-socket-activate listening on 127.0.0.1:port and starting tasknet-echo with `options`
/// on the first connection, its stderr merged into stdout (so that its own "Listening on" line
/// tells when its socket is there), with NOTIFY_SOCKET passed on.
struct ActivatedServer {
  std::uint16_t port = 0;
  std::unique_ptr<Process> process;
};

ActivatedServer start_activated(const std::string& tool, const std::string& options,
                                const NotifySocket& notify) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ActivatedServer server{.port = free_port()};
    const std::string where = "127.0.0.1:" + std::to_string(server.port);
    server.process = std::make_unique<Process>(std::vector<std::string>{
        "/bin/sh", "-c",
        "NOTIFY_SOCKET='" + notify.name() + "' exec " + tool + " -l " + where +
            " -E NOTIFY_SOCKET " + program + " " + options + " 2>&1"});
    const std::optional<std::string> line = server.process->read_stdout_line(10s);
    if (line == "Listening on " + where + " as 3.") return server;
    // The port was taken meanwhile (systemd-socket-activate exits): try another.
    server.process->wait(5s);
  }
  throw std::runtime_error("systemd-socket-activate never listened on a free port");
}

/// The server's own "Listening on" line, after systemd-socket-activate's lines about the exec.
std::string server_listening_line(Process& process) {
  for (;;) {
    const std::optional<std::string> line = process.read_stdout_line(10s);
    if (!line) throw std::runtime_error("tasknet-echo printed no listening line");
    if (line->find("(backend ") != std::string::npos) return *line;
  }
}

TEST(SystemdActivation, ServesTheInheritedSocketAndNotifiesReadyAndStopping) {
  const std::string tool = socket_activate();
  SKIP_WITHOUT_SOCKET_ACTIVATE(tool);
  NotifySocket notify(/*abstract=*/true);
  // Given a port that is taken, the server would fail to bind it (exit 1): it must not try.
  const TcpListener taken = TcpListener::bind(Address::ipv4_loopback(0));
  const std::string taken_port = std::to_string(taken.local_address().port());
  ActivatedServer server =
      start_activated(tool, "--host 127.0.0.1 --port " + taken_port + " --quiet", notify);

  BlockingClient client(server.port);  // systemd-socket-activate execs the server now
  client.send_all("Hello\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
  EXPECT_EQ(server_listening_line(*server.process),
            "Listening on 127.0.0.1:" + std::to_string(server.port) +
                " (backend epoll, sockets from systemd)");
  EXPECT_EQ(notify.receive(10s), "READY=1");
  client.send_all("World\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:World\n");

  server.process->send_signal(SIGTERM);
  EXPECT_EQ(notify.receive(10s), "STOPPING=1");
  EXPECT_EQ(server.process->wait(10s), 0);
  EXPECT_EQ(client.recv_until_eof(), "");  // closed by the server as it stopped
}

TEST(SystemdActivation, EveryThreadAcceptsOnTheOneInheritedSocket) {
  const std::string tool = socket_activate();
  SKIP_WITHOUT_SOCKET_ACTIVATE(tool);
  NotifySocket notify(/*abstract=*/false);
  ActivatedServer server = start_activated(tool, "--threads 3 --quiet", notify);
  std::vector<BlockingClient> clients;
  clients.emplace_back(server.port);
  EXPECT_EQ(server_listening_line(*server.process),
            "Listening on 127.0.0.1:" + std::to_string(server.port) +
                " (backend epoll, 3 threads, sockets from systemd)");
  EXPECT_EQ(notify.receive(10s), "READY=1");
  for (int i = 0; i < 29; ++i) clients.emplace_back(server.port);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const std::string message = "client " + std::to_string(i) + "\n";
    clients[i].send_all(message);
    EXPECT_EQ(clients[i].recv_exactly(4 + message.size()), "GOT:" + message);
  }
  server.process->send_signal(SIGTERM);
  EXPECT_EQ(notify.receive(10s), "STOPPING=1");
  EXPECT_EQ(server.process->wait(10s), 0);
}

TEST(SystemdActivation, AnotherProcesssListenPidIsIgnoredAndTheServerBindsItsOwn) {
  NotifySocket notify(/*abstract=*/false);
  // LISTEN_PID=1: variables inherited from a parent that was activated, not meant for us; fd 3
  // is a file, which the server must leave alone.
  Process server({"/bin/sh", "-c",
                  "LISTEN_PID=1 LISTEN_FDS=1 NOTIFY_SOCKET='" + notify.name() + "' exec " +
                      program + " --host 127.0.0.1 --port 0 --quiet 3</dev/null"});
  const std::optional<std::string> line = server.read_stdout_line(10s);
  ASSERT_TRUE(line);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(*line, match,
                               std::regex(R"(Listening on 127\.0\.0\.1:(\d+) \(backend epoll\))")))
      << *line;
  EXPECT_EQ(notify.receive(10s), "READY=1");  // readiness does not depend on activation
  BlockingClient client(static_cast<std::uint16_t>(std::stoi(match[1])));
  client.send_all("x");
  EXPECT_EQ(client.recv_exactly(5), "GOT:x");
  server.send_signal(SIGTERM);
  EXPECT_EQ(notify.receive(10s), "STOPPING=1");
  EXPECT_EQ(server.wait(10s), 0);
  EXPECT_EQ(server.stderr_text(), "");
}

TEST(SystemdActivation, ADescriptorThatIsNotASocketIsOneLineAndExitOne) {
  std::string err;
  EXPECT_EQ(testing::run_program(
                {"/bin/sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec " + program + " 3</dev/null"},
                nullptr, &err),
            1);
  EXPECT_EQ(err, "tasknet-echo: getsockopt on descriptor 3: Socket operation on non-socket\n");
}

TEST(SystemdActivation, ListenFdsThatIsNotANumberIsOneLineAndExitOne) {
  std::string err;
  EXPECT_EQ(testing::run_program({"/bin/sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=two exec " + program},
                                 nullptr, &err),
            1);
  EXPECT_EQ(err,
            "tasknet-echo: LISTEN_FDS=two: not a number (socket activation, sd_listen_fds(3))\n");
}

TEST(SystemdActivation, ADatagramSocketIsOneLineAndExitOne) {
  const std::string tool = socket_activate();
  SKIP_WITHOUT_SOCKET_ACTIVATE(tool);
  // A UDP port that was free a moment ago (the same small race as free_port()).
  const int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(probe);
  const std::string where = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  Process server({tool, "--datagram", "-l", where, program});
  // Datagrams until one reaches it: systemd-socket-activate starts the server on the first.
  const int sender = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::optional<int> code;
  for (int i = 0; i < 100 && !code; ++i) {
    ::sendto(sender, "x", 1, 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
    code = server.wait(100ms);
  }
  ::close(sender);
  if (!code) code = server.wait(10s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(server.stderr_text().find("tasknet-echo: descriptor 3 is not a listening TCP socket: "
                                      "not a stream socket\n"),
            std::string::npos)
      << server.stderr_text();
}

}  // namespace
}  // namespace tasknet
