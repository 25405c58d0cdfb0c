// The echo server, on every backend: the seed's exchange, many clients at once, 10 MiB with every
// byte accounted for, half-close, and a reset that harms no one else.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "blocking_client.hpp"
#include "echo_service.hpp"
#include "server_thread.hpp"
#include "tasknet/net/tcp_server.hpp"

namespace tasknet {
namespace {

using testing::BlockingClient;

class Echo : public ::testing::TestWithParam<Backend> {
 protected:
  /// Starts an echo server with `config` on this test's backend.
  void start(echo::EchoConfig config = {}) {
    service_ = std::make_unique<echo::EchoService>(std::move(config));
    server_ = std::make_unique<testing::ServerThread>(
        GetParam(), [service = service_.get()](Scheduler& scheduler, TcpListener listener) {
          scheduler.spawn(tcp_server(std::move(listener), [service](Socket client, Address peer) {
            return service->echo_handler(std::move(client), peer);
          }));
        });
  }
  [[nodiscard]] std::uint16_t port() const { return server_->port(); }

  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->task_errors(), 0);
    }
    server_.reset();  // the server's tasks go before the service whose buffers they borrow
  }

 private:
  std::unique_ptr<echo::EchoService> service_;
  std::unique_ptr<testing::ServerThread> server_;
};

/// Payload bytes never include 'G', so every "GOT:" in a reply stream is a prefix.
std::string random_payload(std::size_t size, unsigned seed) {
  static constexpr char alphabet[] = "abcdefhijklmnopqrstuvwxyz0123456789\n ";
  std::mt19937 random(seed);
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  std::string payload(size, '\0');
  for (char& c : payload) c = alphabet[pick(random)];
  return payload;
}

/// Takes a reply stream apart into its chunks: each is "GOT:" followed by 1 to `max_chunk` bytes.
/// Returns the payload bytes in order, or fails the test.
std::string strip_prefixes(const std::string& stream, std::size_t max_chunk) {
  std::string payload;
  std::size_t at = 0;
  while (at < stream.size()) {
    if (stream.compare(at, 4, "GOT:") != 0) {
      ADD_FAILURE() << "no prefix at byte " << at;
      return payload;
    }
    at += 4;
    const std::size_t next = std::min(stream.find("GOT:", at), stream.size());
    if (next == at || next - at > max_chunk) {
      ADD_FAILURE() << "chunk of " << next - at << " bytes at byte " << at;
      return payload;
    }
    payload.append(stream, at, next - at);
    at = next;
  }
  return payload;
}

TEST_P(Echo, AnswersHelloWithGotHello) {
  start();
  BlockingClient client(port());
  client.send_all("Hello\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
  client.send_all("World\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:World\n");
}

TEST_P(Echo, ServesHundredClientsConcurrently) {
  start();
  // One client that connects first and never sends must hold up no one.
  BlockingClient idle(port());
  std::vector<BlockingClient> clients;
  for (int i = 0; i < 100; ++i) clients.emplace_back(port());
  // Served last-connected first, while every other connection stays open and silent: a server
  // that handled connections one after another would never answer the first request.
  for (int i = 99; i >= 0; --i) {
    const std::string message = "client " + std::to_string(i) + "\n";
    clients[i].send_all(message);
    EXPECT_EQ(clients[i].recv_exactly(4 + message.size()), "GOT:" + message);
  }
  // And all at once: every request is out before any reply is read.
  for (int i = 0; i < 100; ++i) clients[i].send_all("again " + std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    const std::string expected = "GOT:again " + std::to_string(i);
    EXPECT_EQ(clients[i].recv_exactly(expected.size()), expected);
  }
  idle.send_all("late");
  EXPECT_EQ(idle.recv_exactly(8), "GOT:late");
}

TEST_P(Echo, TenMebibytesThroughOneConnectionWithEveryByteAccountedFor) {
  start();
  const std::string payload = random_payload(10 << 20, 2026);
  BlockingClient client(port());
  // Send and receive at once, or both sides' buffers fill and the exchange stalls.
  std::thread sender([&] {
    for (std::size_t at = 0; at < payload.size(); at += 7919) {
      client.send_all(std::string_view(payload).substr(at, 7919));
    }
    client.shutdown_write();
  });
  const std::string replies = client.recv_until_eof();
  sender.join();
  const std::string echoed = strip_prefixes(replies, 1000);
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "payload differs";
  EXPECT_GE(replies.size(), payload.size() + 4 * (payload.size() / 1000));
}

TEST_P(Echo, AHalfClosedClientGetsAllItsAnswersThenEndOfStream) {
  start();
  BlockingClient client(port());
  const std::string payload = random_payload(50'000, 7);
  client.send_all(payload);
  client.shutdown_write();
  const std::string replies = client.recv_until_eof();  // returns only at end of stream
  EXPECT_TRUE(strip_prefixes(replies, 1000) == payload);
}

TEST_P(Echo, AClientThatResetsMidStreamHarmsNoOther) {
  start();
  BlockingClient good(port());
  good.send_all("before");
  EXPECT_EQ(good.recv_exactly(10), "GOT:before");
  for (int i = 0; i < 20; ++i) {
    BlockingClient rude(port());
    rude.send_all(random_payload(200'000, i));  // replies pile up unread...
    rude.reset();                               // ...and the connection is torn down
  }
  good.send_all("after");
  EXPECT_EQ(good.recv_exactly(9), "GOT:after");
  BlockingClient fresh(port());
  fresh.send_all("new");
  EXPECT_EQ(fresh.recv_exactly(7), "GOT:new");
}

TEST_P(Echo, PrefixAndReceiveSizeAreHonoured) {
  start({.prefix = "", .recv_size = 3});
  BlockingClient client(port());
  client.send_all("abcdefgh");
  EXPECT_EQ(client.recv_exactly(8), "abcdefgh");
}

TEST_P(Echo, LargeReceivesAreAnsweredInRunsOfAtMostRecvSizeEachWithItsPrefix) {
  start({.prefix = "GOT:", .recv_size = 3});
  BlockingClient client(port());
  const std::string payload = random_payload(5000, 11);
  client.send_all(payload);
  client.shutdown_write();
  EXPECT_TRUE(strip_prefixes(client.recv_until_eof(), 3) == payload);
}

TEST_P(Echo, ServesIpv4AndRepliesInOrderUnderPipelining) {
  start();
  BlockingClient client(port());
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string message = std::to_string(i) + ";";
    client.send_all(message);
    expected += message;
  }
  client.shutdown_write();
  EXPECT_EQ(strip_prefixes(client.recv_until_eof(), 1000), expected);
}

TEST_P(Echo, OverMaxConnectionsANewClientIsClosedAtOnceAndOthersKeepGoing) {
  using namespace std::chrono_literals;
  start({.max_connections = 2});
  BlockingClient first(port());
  BlockingClient second(port());
  first.send_all("1");
  EXPECT_EQ(first.recv_exactly(5), "GOT:1");
  second.send_all("2");
  EXPECT_EQ(second.recv_exactly(5), "GOT:2");
  BlockingClient third(port());
  EXPECT_EQ(third.recv_until_eof(), "");  // accepted, then closed: end of stream at once
  first.send_all("still here");
  EXPECT_EQ(first.recv_exactly(14), "GOT:still here");
  first.shutdown_write();
  EXPECT_EQ(first.recv_until_eof(), "");  // the server has closed it: a slot is free
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {  // the close may take a moment
    BlockingClient fourth(port());
    fourth.send_all("4");
    served = fourth.recv_some() == "GOT:4";
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_P(Echo, IdleTimeoutClosesASilentClientAndSparesABusyOne) {
  using namespace std::chrono_literals;
  start({.idle_timeout = 150ms});
  BlockingClient silent(port());
  BlockingClient busy(port());
  const auto start_time = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {  // 500 ms of traffic, never 150 ms apart
    busy.send_all("x");
    EXPECT_EQ(busy.recv_exactly(5), "GOT:x");
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(silent.recv_until_eof(), "");  // closed by the server
  EXPECT_GE(std::chrono::steady_clock::now() - start_time, 150ms);
  busy.send_all("y");
  EXPECT_EQ(busy.recv_exactly(5), "GOT:y");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Echo, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet
