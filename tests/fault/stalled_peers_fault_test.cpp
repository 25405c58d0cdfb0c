// Fault cases about peers that stop taking their replies: one that stopped reading, one that
// reads slowly but keeps at it, and ones that vanished without a word (a blackholed network path:
// no FIN, no RST), found by keepalive.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "fault_case.hpp"
#include "fault_client.hpp"
#include "process.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

/// A client socket of the test's own, closed on destruction.
class RawClient {
 public:
  /// Connects to 127.0.0.1:port; `before_connect` sets options that must precede the handshake.
  template <typename Setup>
  RawClient(std::uint16_t port, Setup before_connect)
      : RawClient(port, ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), before_connect) {}
  explicit RawClient(std::uint16_t port) : RawClient(port, [](int) {}) {}
  /// Connects `socket`, made elsewhere (in another network namespace), to 127.0.0.1:port.
  RawClient(std::uint16_t port, int socket) : RawClient(port, socket, [](int) {}) {}
  RawClient(RawClient&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawClient& operator=(RawClient&&) = delete;
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }

 private:
  template <typename Setup>
  RawClient(std::uint16_t port, int socket, Setup before_connect) : fd_(socket) {
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "socket");
    before_connect(fd_);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::system_error(error, std::system_category(), "connect");
    }
    const timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }

 public:
  /// Sends `stream`'s bytes until the kernel has taken none for 200 ms (the server stopped
  /// reading: it is blocked sending replies this client does not read) or `most` have gone.
  /// Returns the bytes sent.
  std::size_t send_until_full(MessageStream& stream, std::size_t most) {
    std::size_t sent = 0;
    while (sent < most) {
      const std::string_view chunk = stream.next_bytes(16 * 1024);
      std::size_t offset = 0;
      while (offset < chunk.size()) {
        const ssize_t n =
            ::send(fd_, chunk.data() + offset, chunk.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          offset += static_cast<std::size_t>(n);
          continue;
        }
        pollfd room{.fd = fd_, .events = POLLOUT, .revents = 0};
        if (n < 0 && errno == EAGAIN && ::poll(&room, 1, 200) == 1) continue;
        return sent + offset;  // full for good (the rest of the chunk is never sent)
      }
      sent += offset;
    }
    return sent;
  }

  /// One exchange, blocking: sends the next message of `stream` and reads its whole reply.
  void exchange(MessageStream& stream) {
    const std::string_view message = stream.next_message();
    if (::send(fd_, message.data(), message.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(message.size())) {
      throw std::system_error(errno, std::system_category(), "send");
    }
    char buffer[8192];
    while (stream.verified() < stream.sent()) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) throw std::runtime_error("the reply did not come");
      if (!stream.feed({buffer, static_cast<std::size_t>(n)})) {
        throw std::runtime_error(stream.error());
      }
    }
  }

 private:
  int fd_;
};

/// A network namespace of the test's own, with its loopback up, deleted on destruction: where
/// a firewall rule can blackhole a connection without touching anything else on the machine.
class NetworkNamespace {
 public:
  /// Creates one, or returns nullopt with the reason in `why` (not root, no `ip` or no `nft`).
  static std::optional<NetworkNamespace> create(std::string* why) {
    NetworkNamespace created("tasknet-fault-" + std::to_string(::getpid()));
    run({"ip", "netns", "del", created.name_}, nullptr);  // left by a run that crashed
    if (!run({"ip", "netns", "add", created.name_}, why)) return std::nullopt;
    created.owned_ = true;
    if (!created.inside({"ip", "link", "set", "lo", "up"}, why)) return std::nullopt;
    if (!created.inside({"nft", "add", "table", "inet", "blackhole"}, why)) return std::nullopt;
    if (!created.inside({"nft", "add", "chain", "inet", "blackhole", "input",
                         "{ type filter hook input priority 0 ; }"},
                        why)) {
      return std::nullopt;
    }
    return created;
  }

  NetworkNamespace(NetworkNamespace&& other) noexcept
      : name_(std::move(other.name_)), owned_(std::exchange(other.owned_, false)) {}
  NetworkNamespace& operator=(NetworkNamespace&&) = delete;
  ~NetworkNamespace() {
    if (owned_) run({"ip", "netns", "del", name_}, nullptr);
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// A TCP socket in the namespace: made on a thread that joins it, since a socket stays in
  /// the namespace it was made in.
  [[nodiscard]] int make_socket() const {
    int made = -1;
    int error = 0;
    std::thread([&] {
      const int handle = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (handle < 0 || ::setns(handle, CLONE_NEWNET) != 0) {
        error = errno;
      } else {
        made = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        error = errno;
      }
      if (handle >= 0) ::close(handle);
    }).join();
    if (made < 0) throw std::system_error(error, std::system_category(), "socket in " + name_);
    return made;
  }

  /// From now on, every packet to or from these local ports is dropped: for each side of the
  /// connection, the other has vanished without a word.
  bool blackhole(const std::vector<std::uint16_t>& ports, std::string* why) const {
    std::string set = "{ ";
    for (const std::uint16_t port : ports) set += std::to_string(port) + ", ";
    set += "}";
    return inside({"nft", "add", "rule", "inet", "blackhole", "input", "tcp", "sport", set, "drop"},
                  why) &&
           inside({"nft", "add", "rule", "inet", "blackhole", "input", "tcp", "dport", set, "drop"},
                  why);
  }

 private:
  explicit NetworkNamespace(std::string name) : name_(std::move(name)) {}

  /// `name` on PATH or in the system directories (where ip and nft live); empty if nowhere.
  static std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string directories = std::string(path != nullptr ? path : "") + ":/usr/sbin:/sbin";
    std::size_t start = 0;
    while (start <= directories.size()) {
      const std::size_t end = std::min(directories.find(':', start), directories.size());
      const std::string candidate = directories.substr(start, end - start) + "/" + name;
      if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
    return {};
  }

  static bool run(std::vector<std::string> argv, std::string* why) {
    const std::string command = argv[0] + " " + argv[1];
    argv[0] = find_program(argv[0]);
    if (argv[0].empty()) {
      if (why != nullptr) *why = "no " + command.substr(0, command.find(' ')) + " installed";
      return false;
    }
    std::string out;
    std::string err;
    const std::optional<int> code = testing::run_program(argv, &out, &err);
    if (code == 0) return true;
    if (why != nullptr) *why = command + ": " + (err.empty() ? out : err);
    return false;
  }

  [[nodiscard]] bool inside(std::vector<std::string> argv, std::string* why) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return run(argv, why);
  }

  std::string name_;
  bool owned_ = false;
};

class StalledPeers : public FaultCase {};

// --- A peer that stopped reading ---------------------------------------------------------------

constexpr int stopped_readers = 10;

TEST_P(StalledPeers, APeerThatStoppedReadingIsClosedByTheIdleTimeout) {
  EchoUnderTest& server = start({.options = {"--idle-timeout", "1", "--stats"}});
  GoodClients good(server.address(), 5);
  std::vector<RawClient> stopped;
  std::vector<MessageStream> streams;
  for (int i = 0; i < stopped_readers; ++i) {
    stopped.emplace_back(server.port());
    streams.emplace_back(static_cast<std::uint32_t>(i), 4096);
  }
  // Each writes until its replies back up all the way to it, and stops; none reads.
  std::size_t owed = 0;
  for (int i = 0; i < stopped_readers; ++i) {
    owed += stopped[i].send_until_full(streams[i], std::size_t{64} << 20);
  }
  const auto stopped_at = SteadyClock::now();
  const std::size_t serving = baseline_descriptors() + 5;  // the good clients'
  const std::size_t open = server.settle_descriptors(serving, 5s);
  const auto closed_after = SteadyClock::now() - stopped_at;
  EXPECT_EQ(open, serving) << "a connection that takes no reply is still open";
  EXPECT_LE(closed_after, 2s) << "not within the idle timeout (1 s) + 1 s";
  const Tally bystanders = good.stop();
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  measured(std::to_string(stopped_readers) + " clients that stopped reading with " +
           std::to_string(owed >> 20) + " MiB sent: all closed " +
           std::to_string(closed_after / 1ms) + " ms after the last stopped (idle timeout 1 s); " +
           "5 good clients: " + bystanders.describe());
  expect_recovered();
  EXPECT_NE(
      server.process().stderr_text().find("idle timeout " + std::to_string(stopped_readers) + ","),
      std::string::npos)
      << server.process().stderr_text();
}

// --- A peer that reads slowly ------------------------------------------------------------------

// Reads 512 bytes every half second (1 KiB/s) for three idle timeouts. Small segments and the
// smallest receive buffer, so that its window opens a segment (1000 bytes) at a time, a second
// apart: with loopback's 64 KiB segments, or a larger buffer, whose window opens a few KiB at a
// time, a reader this slow acknowledges nothing for longer than the idle timeout.
TEST_P(StalledPeers, AReaderThatDrainsSlowlyIsKept) {
  constexpr auto idle_timeout = 3s;
  EchoUnderTest& server = start({.options = {"--idle-timeout", "3"}});
  RawClient slow(server.port(), [](int fd) {
    const int segment = 1000;
    const int buffer = 1024;
    ::setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &segment, sizeof segment);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  });
  MessageStream stream(7, 4096);
  const std::size_t sent = slow.send_until_full(stream, std::size_t{1} << 20);
  const auto started = SteadyClock::now();
  std::string problem;
  while (SteadyClock::now() - started < 3 * idle_timeout && problem.empty()) {
    std::this_thread::sleep_for(500ms);
    char buffer[512];
    const ssize_t n = ::recv(slow.fd(), buffer, sizeof buffer, 0);
    if (n <= 0) {
      problem = n == 0 ? "closed by the server" : std::string("recv: ") + std::strerror(errno);
    } else if (!stream.feed({buffer, static_cast<std::size_t>(n)})) {
      problem = stream.error();
    }
  }
  EXPECT_EQ(problem, "") << "after " << stream.verified() << " bytes verified";
  EXPECT_LT(stream.verified(), sent) << "its replies never backed up: the case tested nothing";
  EXPECT_EQ(server.open_descriptors(), baseline_descriptors() + 1) << "closed as idle";
  measured("a reader of 1 KiB/s with " + std::to_string(sent >> 10) +
           " KiB of replies owed: " + std::to_string(stream.verified()) + " bytes verified over " +
           std::to_string((SteadyClock::now() - started) / 1ms) +
           " ms, still open (idle timeout 3 s)");
  { RawClient gone = std::move(slow); }
  expect_recovered();
}

// --- Peers that vanished -----------------------------------------------------------------------

// Two clients behind a path that starts dropping every packet (no FIN, no RST ever comes): one
// idle between requests, found by keepalive's probes; one that stopped reading with replies owed,
// whose unacknowledged bytes TCP_USER_TIMEOUT gives up on. No idle timeout: keepalive alone.
TEST_P(StalledPeers, PeersBehindABlackholeAreClosedByKeepalive) {
  std::string why;
  std::optional<NetworkNamespace> network = NetworkNamespace::create(&why);
  if (!network) GTEST_SKIP() << "cannot blackhole a connection here: " << why;
  EchoUnderTest& server =
      start({.options = {"--keepalive", "1", "--stats"}, .network_namespace = network->name()});
  RawClient idle(server.port(), network->make_socket());
  MessageStream idle_stream(1, 4096);
  idle.exchange(idle_stream);
  RawClient owed(server.port(), network->make_socket());
  MessageStream owed_stream(2, 4096);
  const std::size_t sent = owed.send_until_full(owed_stream, std::size_t{64} << 20);
  ASSERT_EQ(server.open_descriptors(), baseline_descriptors() + 2);

  ASSERT_TRUE(network->blackhole({idle.local_port(), owed.local_port()}, &why)) << why;
  const auto cut = SteadyClock::now();
  const std::size_t open = server.settle_descriptors(baseline_descriptors(), 30s);
  const auto closed_after = SteadyClock::now() - cut;
  EXPECT_EQ(open, baseline_descriptors()) << "a vanished peer is still connected";
  // --keepalive 1: probes after 1 s of silence, 1 s apart, 3 of them; 4 s in all.
  EXPECT_LE(closed_after, 10s);
  measured("an idle peer and one owed " + std::to_string(sent >> 10) +
           " KiB, both blackholed: closed " + std::to_string(closed_after / 1ms) +
           " ms later (--keepalive 1: 4 s)");
  EXPECT_EQ(server.terminate(), 0);
  EXPECT_NE(server.process().stderr_text().find("dead peer 2,"), std::string::npos)
      << server.process().stderr_text();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StalledPeers, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
