// read_proxy_header on real loopback connections, on every backend: it takes exactly the header,
// however it arrives, and leaves the client's bytes for the next receive; a slow header times out,
// a wrong one fails at once.
#include <time.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "backends.hpp"
#include "blocking_client.hpp"
#include "run_task.hpp"
#include "tasknet/net/proxy_protocol.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::BlockingClient;
using testing::run_to_completion;

class ProxyHeaderRead : public ::testing::TestWithParam<Backend> {
 protected:
  Scheduler scheduler{{.backend = GetParam()}};
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
  std::uint16_t port = listener.local_address().port();
};

/// 192.0.2.1:56324 -> 198.51.100.7:443 as a version 2 header, with one TLV.
const std::string v2_header = "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x11"s +
                              "\xC0\x00\x02\x01\xC6\x33\x64\x07\xDC\x04\x01\xBB"s +
                              "\x04\x00\x02pp"s;

/// Accepts one connection, reads its header with `deadline`, then one receive of what follows:
/// "SOURCE -> DESTINATION | BYTES", or "error: WHAT" for what read_proxy_header threw.
Task<std::string> accept_and_read(TcpListener* listener, Clock::duration deadline) {
  Accepted accepted = co_await listener->accept();
  std::string outcome;
  try {
    const ProxyHeader header =
        co_await read_proxy_header(accepted.socket, {.deadline = after(deadline)});
    outcome = header.proxied() ? header.source.to_string() + " -> " + header.destination.to_string()
                               : "real addresses";
  } catch (const std::system_error& error) {
    co_return "error: "s + error.what();
  }
  char buffer[256];
  const std::size_t n = co_await accepted.socket.recv(buffer, {.deadline = after(5s)});
  co_return outcome + " | " + std::string(buffer, n);
}

TEST_P(ProxyHeaderRead, BytesAfterAV1HeaderSentWithItStayForTheNextReceive) {
  BlockingClient client(port);
  client.send_all("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nhello after the header");
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)),
            "192.0.2.1:56324 -> 198.51.100.7:443 | hello after the header");
}

TEST_P(ProxyHeaderRead, BytesAfterAV2HeaderSentWithItStayForTheNextReceive) {
  BlockingClient client(port);
  client.send_all(v2_header + "PROXY TCP4 is data now");
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)),
            "192.0.2.1:56324 -> 198.51.100.7:443 | PROXY TCP4 is data now");
}

TEST_P(ProxyHeaderRead, AV1UnknownHeaderMeansTheRealAddresses) {
  BlockingClient client(port);
  client.send_all("PROXY UNKNOWN\r\nping");
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)), "real addresses | ping");
}

TEST_P(ProxyHeaderRead, AHeaderArrivingInPiecesIsReadWhole) {
  BlockingClient client(port);
  // A piece at a time, each after a pause, so that the reader waits between them; the last
  // piece carries the end of the header and the client's first bytes together.
  std::jthread sender([&client] {
    const std::string all = v2_header + "first bytes";
    std::size_t sent = 0;
    for (const std::size_t cut : {1UL, 12UL, 13UL, 20UL, all.size()}) {
      std::this_thread::sleep_for(20ms);
      client.send_all(std::string_view(all).substr(sent, cut - sent));
      sent = cut;
    }
  });
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)),
            "192.0.2.1:56324 -> 198.51.100.7:443 | first bytes");
}

TEST_P(ProxyHeaderRead, AV1HeaderArrivingAByteAtATimeIsReadWhole) {
  BlockingClient client(port);
  std::jthread sender([&client] {
    for (const char c : "PROXY TCP6 ::1 ::2 1 2\r\nx"s) {
      std::this_thread::sleep_for(2ms);
      client.send_all(std::string(1, c));
    }
  });
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)), "[::1]:1 -> [::2]:2 | x");
}

/// CPU time this thread has used.
std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

TEST_P(ProxyHeaderRead, ASlowHeaderTimesOutAtTheDeadlineWithoutSpinning) {
  BlockingClient client(port);
  client.send_all("PROXY TCP4 192.0.2.1 ");  // and nothing more
  const auto start = Clock::now();
  const auto cpu_at_start = thread_cpu_time();
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 200ms)),
            "error: PROXY header: deadline passed");
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 2s);
  // The unfinished header's bytes were taken, so the wait for more sleeps in the backend rather
  // than finding the socket readable again and again.
  EXPECT_LT(thread_cpu_time() - cpu_at_start, 50ms);
}

TEST_P(ProxyHeaderRead, AClientWithoutAHeaderFailsAtOnceNotAtTheDeadline) {
  BlockingClient client(port);
  client.send_all("Hello\n");
  const auto start = Clock::now();
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 10s)),
            "error: PROXY header: not a PROXY protocol header");
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_P(ProxyHeaderRead, AnOversizedHeaderFailsAtOnce) {
  BlockingClient client(port);
  client.send_all("PROXY UNKNOWN " + std::string(200, 'x'));
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 10s)),
            "error: PROXY header: v1 line longer than 107 bytes");
}

TEST_P(ProxyHeaderRead, EndOfStreamInsideTheHeaderIsAnError) {
  BlockingClient client(port);
  client.send_all("PROXY TCP4 1.2.3.4");
  client.shutdown_write();
  EXPECT_EQ(run_to_completion(scheduler, accept_and_read(&listener, 5s)),
            "error: PROXY header: connection closed inside the header");
}

TEST_P(ProxyHeaderRead, AStopCancelsTheRead) {
  BlockingClient client(port);
  auto read_until_stopped = [](TcpListener* from) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    std::stop_source stop;
    const std::stop_token token = stop.get_token();
    Scheduler& here = co_await this_scheduler();
    auto stop_soon = [](std::stop_source* source) -> Task<void> {
      co_await sleep_for(50ms);
      source->request_stop();
    };
    here.spawn(stop_soon(&stop));
    try {
      const ProxyHeader header = co_await read_proxy_header(accepted.socket, {.stop = token});
      co_return "read a header of " + std::to_string(header.size);
    } catch (const Cancelled& error) {
      co_return error.what();
    }
  };
  EXPECT_EQ(run_to_completion(scheduler, read_until_stopped(&listener)), "PROXY header: cancelled");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ProxyHeaderRead, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
