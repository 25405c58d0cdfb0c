// Socket operations against real loopback connections, on every backend: connect refusal, end of
// stream as a value, resets as errors, timeouts, backpressure, half-close, no SIGPIPE.
#include "tasknet/net/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <system_error>
#include <thread>

#include "backends.hpp"
#include "blocking_client.hpp"
#include "run_task.hpp"
#include "tasknet/net/connect_operation.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::BlockingClient;
using testing::run_to_completion;

class SocketOps : public ::testing::TestWithParam<Backend> {
 protected:
  Scheduler scheduler{{.backend = GetParam()}};
};

/// A listener on 127.0.0.1 with a free port, and the port.
TcpListener listen_anywhere() {
  return TcpListener::bind(Address::ipv4_loopback(0));
}

TEST_P(SocketOps, ConnectToAClosedPortReportsRefusal) {
  std::uint16_t closed_port = 0;
  {
    TcpListener listener = listen_anywhere();
    closed_port = listener.local_address().port();
  }
  auto attempt = [](Address address) -> Task<std::string> {
    try {
      Socket socket = co_await connect(address, {.deadline = after(5s)});
    } catch (const std::system_error& error) {
      EXPECT_EQ(error.code(), std::errc::connection_refused);
      co_return error.what();
    }
    co_return "connected";
  };
  const std::string message =
      run_to_completion(scheduler, attempt(Address::ipv4_loopback(closed_port)));
  EXPECT_EQ(message,
            "connect to 127.0.0.1:" + std::to_string(closed_port) + ": Connection refused");
}

TEST_P(SocketOps, ConnectWaitsUntilTheHandshakeCompletes) {
  // A full accept queue leaves the next handshake pending, with SO_ERROR still 0: connect must
  // wait for the writable edge, not mistake "no error yet" for "connected".
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0), {.backlog = 0});
  BlockingClient first(listener.local_address().port());  // fills the queue
  auto attempt = [](Address address) -> Task<std::string> {
    try {
      Socket socket = co_await connect(address, {.deadline = after(300ms)});
    } catch (const std::system_error& error) {
      co_return error.code() == std::errc::timed_out ? "timed out" : error.what();
    }
    co_return "connected";
  };
  EXPECT_EQ(run_to_completion(scheduler, attempt(listener.local_address())), "timed out");
}

TEST_P(SocketOps, ConnectAcceptSendRecvAndEndOfStreamAsAValue) {
  auto exchange = []() -> Task<std::string> {
    TcpListener listener = listen_anywhere();
    Socket client = co_await connect(listener.local_address());
    Accepted accepted = co_await listener.accept();
    EXPECT_TRUE(accepted.peer.is_loopback());
    co_await client.send_all("ping");
    client.shutdown_write();
    std::string got;
    char buffer[16];
    for (;;) {
      const std::size_t n = co_await accepted.socket.recv(buffer);
      if (n == 0) break;  // end of stream is a value, not an error
      got.append(buffer, n);
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, exchange()), "ping");
}

TEST_P(SocketOps, EndOfStreamThatArrivedWithTheLastDataIsNotMissed) {
  // Data and FIN are both queued before the server first looks: one edge reports both, and the
  // short read that takes the data must not make the scheduler wait for an edge that never comes.
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());
  client.send_all("last words");
  client.shutdown_write();
  auto serve = [](TcpListener* from) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    co_await sleep_for(20ms);  // let the FIN land behind the data
    std::string got;
    char buffer[64];
    for (;;) {
      if (co_await accepted.socket.readable({.deadline = after(5s)}) != WaitStatus::ready) {
        co_return "stalled waiting for an edge after " + got;
      }
      const auto n = accepted.socket.try_recv(buffer);
      if (!n) continue;
      if (*n == 0) co_return got;
      got.append(buffer, *n);
    }
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener)), "last words");
}

TEST_P(SocketOps, AcceptedSocketsHaveNoDelay) {
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());
  auto accept_one = [](TcpListener* from) -> Task<int> {
    Accepted accepted = co_await from->accept();
    int value = 0;
    socklen_t length = sizeof value;
    ::getsockopt(accepted.socket.fd(), IPPROTO_TCP, TCP_NODELAY, &value, &length);
    co_return value;
  };
  EXPECT_NE(run_to_completion(scheduler, accept_one(&listener)), 0);
}

TEST_P(SocketOps, APeerResetIsAnErrorTheHandlerCanCatch) {
  TcpListener listener = listen_anywhere();
  auto serve = [](TcpListener* from) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    char buffer[64];
    try {
      while (co_await accepted.socket.recv(buffer) > 0) {
      }
    } catch (const std::system_error& error) {
      co_return error.code() == std::errc::connection_reset ? "reset" : error.what();
    }
    co_return "clean end of stream";
  };
  BlockingClient client(listener.local_address().port());
  client.send_all("unread by anyone");
  // Data the server never read plus SO_LINGER 0: the kernel answers with RST.
  client.reset();
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener)), "reset");
}

// The one rule (wait_options.hpp): a value-producing operation throws TimedOut or Cancelled, each
// a std::system_error with the matching code, and says what happened in its own words.
TEST_P(SocketOps, RecvTimesOutAtItsDeadline) {
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());
  auto serve = [](TcpListener* from) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    char buffer[8];
    try {
      co_await accepted.socket.recv(buffer, {.deadline = after(20ms)});
    } catch (const TimedOut& error) {
      EXPECT_EQ(error.code(), std::errc::timed_out);
      co_return error.what();
    }
    co_return "received";
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener)), "recv: deadline passed");
}

TEST_P(SocketOps, RecvStoppedThrowsCancelledAndTheBytesStayForTheNextOne) {
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());
  auto serve = [](TcpListener* from, BlockingClient* peer) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    std::stop_source stop;
    const std::stop_token token = stop.get_token();
    auto stop_soon = [](std::stop_source* source) -> Task<void> {
      co_await sleep_for(10ms);
      source->request_stop();
    };
    (co_await this_scheduler()).spawn(stop_soon(&stop));
    char buffer[8];
    std::string said;
    try {
      co_await accepted.socket.recv(buffer, {.stop = token});
      said = "received";
    } catch (const Cancelled& error) {
      EXPECT_EQ(error.code(), std::errc::operation_canceled);
      said = error.what();
    }
    peer->send_all("late");
    const std::size_t n = co_await accepted.socket.recv(buffer, {.deadline = after(5s)});
    co_return said + ", then " + std::string(buffer, n);
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener, &client)), "recv: cancelled, then late");
}

// On a completion backend the kernel holds the buffer of a receive in flight: destroying the
// waiting frame (here with its scheduler) must end the receive before anything else is freed, or
// the kernel could later write into memory that is no longer the frame's and take bytes that
// nobody will read. (Scheduler::abandon cancels and reaps; tearing the ring down would also end
// it, which is why this test passes without abandon too: it guards the outcome, not the means.)
TEST_P(SocketOps, AFrameDestroyedWithAReceiveInFlightLeavesItsBufferAndTheBytesAlone) {
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());
  Socket server_side;             // outlives the scheduler: the bytes can be read afterwards
  std::array<char, 16> buffer{};  // outlives the frame that receives into it
  {
    Scheduler local({.backend = GetParam()});
    auto receive = [](TcpListener* from, Socket* keep, std::span<char> area) -> Task<void> {
      Accepted accepted = co_await from->accept();
      *keep = std::move(accepted.socket);
      co_await keep->recv(area);  // nothing is sent until this frame has been destroyed
    };
    auto stop_soon = []() -> Task<void> {
      co_await sleep_for(20ms);
      (co_await this_scheduler()).stop();
    };
    local.spawn(receive(&listener, &server_side, buffer));
    local.spawn(stop_soon());
    local.run();
  }  // destroys the receiving frame, its receive still waiting
  client.send_all("late");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(std::string(buffer.data()), "") << "written after its frame was destroyed";
  char got[8];
  EXPECT_EQ(::recv(server_side.fd(), got, sizeof got, 0), 4) << "the bytes were taken";
}

TEST_P(SocketOps, SendAllWaitsForASlowReaderAndDeliversEverything) {
  TcpListener listener = listen_anywhere();
  const std::uint16_t port = listener.local_address().port();
  std::string payload(8 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  auto sender = [](TcpListener* from, const std::string* data) -> Task<void> {
    Accepted accepted = co_await from->accept();
    co_await accepted.socket.send_all(*data);
  };
  std::string received;
  std::thread reader([&] {
    BlockingClient client(port);
    for (std::string part = client.recv_some(4096); !part.empty(); part = client.recv_some(4096)) {
      received += part;
      if (received.size() % (1 << 20) < 4096) std::this_thread::sleep_for(2ms);  // slow reader
    }
  });
  run_to_completion(scheduler, sender(&listener, &payload));
  reader.join();
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
}

/// Small kernel buffers on both sides, so that a transfer of a few hundred KiB needs the reader.
void shrink_buffers(int sender_fd, int reader_fd) {
  const int size = 16 * 1024;
  ASSERT_EQ(::setsockopt(sender_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
  ASSERT_EQ(::setsockopt(reader_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
}

TEST_P(SocketOps, SendAllForTimesOutOnceThePeerStopsTakingBytes) {
  TcpListener listener = listen_anywhere();
  BlockingClient client(listener.local_address().port());  // never reads
  const std::string payload(4 << 20, 'x');
  struct Outcome {
    std::string error;
    std::size_t sent = 0;
    Clock::duration after_last_byte{};
  };
  auto serve = [](TcpListener* from, const std::string* data, int reader) -> Task<Outcome> {
    Accepted accepted = co_await from->accept();
    shrink_buffers(accepted.socket.fd(), reader);
    Outcome outcome;
    SendAllOperation sending = accepted.socket.send_all_for(*data, 200ms);
    try {
      co_await sending;
      outcome.error = "sent everything to a peer that reads nothing";
    } catch (const std::system_error& error) {
      outcome.error = error.code() == std::errc::timed_out ? "" : error.what();
    }
    outcome.sent = sending.bytes_sent();
    co_return outcome;
  };
  const TimePoint started = Clock::now();
  const Outcome outcome = run_to_completion(scheduler, serve(&listener, &payload, client.fd()));
  EXPECT_EQ(outcome.error, "");
  EXPECT_GT(outcome.sent, 0U) << "the kernel's buffers took nothing";
  EXPECT_LT(outcome.sent, payload.size());
  EXPECT_GE(Clock::now() - started, 200ms);
}

constexpr auto slow_reader_timeout = 300ms;

// A timeout between sends, not over the whole: a reader slower than the timeout over the whole
// transfer, but never silent for as long, gets everything.
TEST_P(SocketOps, SendAllForWaitsForASlowReaderThatKeepsReading) {
  TcpListener listener = listen_anywhere();
  const std::uint16_t port = listener.local_address().port();
  std::string payload(1 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::atomic<int> reader_fd{-1};
  auto sender = [](TcpListener* from, const std::string* data,
                   std::atomic<int>* reader) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    while (reader->load() < 0) co_await sleep_for(1ms);
    shrink_buffers(accepted.socket.fd(), reader->load());
    try {
      co_await accepted.socket.send_all_for(*data, slow_reader_timeout);
    } catch (const std::system_error& error) {
      co_return error.what();
    }
    co_return "";
  };
  std::string received;
  std::thread reader([&] {
    BlockingClient client(port);
    reader_fd.store(client.fd());
    for (std::string part = client.recv_some(32 * 1024); !part.empty();
         part = client.recv_some(32 * 1024)) {
      received += part;
      std::this_thread::sleep_for(25ms);
    }
  });
  const TimePoint started = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, sender(&listener, &payload, &reader_fd)), "");
  const Clock::duration took = Clock::now() - started;
  reader.join();
  EXPECT_TRUE(received == payload) << received.size() << " of " << payload.size() << " bytes";
  EXPECT_GT(took, 2 * slow_reader_timeout)
      << "too fast to tell a timeout between sends from one over all";
}

TEST_P(SocketOps, AListenersKeepAliveIsEveryAcceptedSocketsToo) {
  TcpListener listener =
      TcpListener::bind(Address::ipv4_loopback(0),
                        {.keepalive = KeepAlive::after_silence_of(std::chrono::seconds{9})});
  BlockingClient client(listener.local_address().port());
  auto accept_one = [](TcpListener* from) -> Task<std::array<int, 5>> {
    Accepted accepted = co_await from->accept();
    const std::array<std::pair<int, int>, 5> options{{{SOL_SOCKET, SO_KEEPALIVE},
                                                      {IPPROTO_TCP, TCP_KEEPIDLE},
                                                      {IPPROTO_TCP, TCP_KEEPINTVL},
                                                      {IPPROTO_TCP, TCP_KEEPCNT},
                                                      {IPPROTO_TCP, TCP_USER_TIMEOUT}}};
    std::array<int, 5> values{};
    for (std::size_t i = 0; i < options.size(); ++i) {
      socklen_t length = sizeof values[i];
      ::getsockopt(accepted.socket.fd(), options[i].first, options[i].second, &values[i], &length);
    }
    co_return values;
  };
  const std::array<int, 5> expected{1, 9, 3, 3, 18'000};
  EXPECT_EQ(run_to_completion(scheduler, accept_one(&listener)), expected);
}

TEST_P(SocketOps, SendingToAClosedPeerIsAnErrorNotSigpipe) {
  TcpListener listener = listen_anywhere();
  auto serve = [](TcpListener* from) -> Task<bool> {
    Accepted accepted = co_await from->accept();
    const std::string chunk(65536, 'x');
    try {
      for (int i = 0; i < 1000; ++i) {
        co_await accepted.socket.send_all(chunk, {.deadline = after(5s)});
        co_await sleep_for(1ms);
      }
    } catch (const std::system_error& error) {
      co_return error.code() == std::errc::broken_pipe ||
          error.code() == std::errc::connection_reset;
    }
    co_return false;
  };
  { BlockingClient client(listener.local_address().port()); }  // closed at once
  EXPECT_TRUE(run_to_completion(scheduler, serve(&listener)));
}

TEST_P(SocketOps, Ipv6LoopbackWorks) {
  TcpListener listener = [] {
    try {
      return TcpListener::bind(Address::ipv6_loopback(0));
    } catch (const std::system_error&) {
      return listen_anywhere();
    }
  }();
  if (!listener.local_address().is_ipv6()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  auto exchange = [](TcpListener* from) -> Task<std::string> {
    Socket client = co_await connect(from->local_address());
    Accepted accepted = co_await from->accept();
    co_await client.send_all("v6");
    char buffer[4];
    const std::size_t n = co_await accepted.socket.recv(buffer);
    co_return std::string(buffer, n) + " from " + accepted.peer.host();
  };
  EXPECT_EQ(run_to_completion(scheduler, exchange(&listener)), "v6 from ::1");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, SocketOps, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet
