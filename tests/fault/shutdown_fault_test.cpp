// Shutdown under load: SIGTERM while a thousand clients are exchanging. Every reply the server
// began reaches its client whole, then the end of stream; the server exits 0 within its deadline.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>

#include "fault_case.hpp"
#include "fault_client.hpp"
#include "tasknet/time.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t active_clients = 1000;

struct Load {
  Address server;
  std::atomic<std::size_t> connected{0};
  std::atomic<std::uint64_t> exchanges{0};
  std::size_t closed_by_server = 0;  // clients that read the end of stream: the way to end
  Tally tally;
};

/// Exchanges messages of up to 1000 bytes (one receive's worth for the server) until the server
/// closes. The replies then account for every message but perhaps the last: one the server had
/// not read when it began to drain is dropped whole, never answered in part.
Task<void> client_until_closed(Load& load, std::uint32_t seed) {
  MessageStream stream(seed, 1000);
  try {
    Socket socket = co_await connect_to(load.server);
    ++load.connected;
    for (;;) {
      const std::string_view message = stream.next_message();
      const std::uint64_t answered_before = stream.sent() - message.size();
      co_await socket.send_all(message, {.deadline = after(30s)});
      while (stream.verified() < stream.sent()) {
        const std::size_t received = co_await receive_into(socket, stream, after(30s));
        if (received > 0) continue;
        if (stream.verified() != answered_before) {
          throw std::runtime_error(
              "a reply cut short: " + std::to_string(stream.verified() - answered_before) + " of " +
              std::to_string(message.size()) + " bytes");
        }
        ++load.closed_by_server;
        co_return;
      }
      ++load.exchanges;
      ++load.tally.exchanges;
    }
  } catch (const std::exception& error) {
    load.tally.fail("client " + std::to_string(seed) + ": " + error.what());
  }
}

class Shutdown : public FaultCase {
 protected:
  void sigterm_under_load(std::vector<std::string> options);
};

void Shutdown::sigterm_under_load(std::vector<std::string> options) {
  options.insert(options.end(), {"--shutdown-timeout", "10"});
  EchoUnderTest& server = start({.options = std::move(options)});
  Load load{.server = server.address()};
  ClientThread clients([&load](Scheduler& scheduler, std::stop_token) {
    for (std::size_t i = 0; i < active_clients; ++i) {
      scheduler.spawn(client_until_closed(load, static_cast<std::uint32_t>(i)));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (load.connected < active_clients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(load.connected, active_clients);
  std::this_thread::sleep_for(300ms);  // all of them busy
  const std::uint64_t before_signal = load.exchanges.load();

  const auto signalled = std::chrono::steady_clock::now();
  server.process().send_signal(SIGTERM);
  const std::optional<int> code = server.process().wait(20s);
  const auto exit_ms = (std::chrono::steady_clock::now() - signalled) / 1ms;
  clients.join();  // each ends when it reads the end of stream

  EXPECT_EQ(code, 0) << server.process().stderr_text();
  EXPECT_LT(exit_ms, 10'000) << "past the shutdown deadline";
  EXPECT_EQ(load.tally.errors, 0U) << load.tally.describe();
  EXPECT_EQ(load.closed_by_server, active_clients);
  measured(std::to_string(active_clients) + " active clients (" + std::to_string(before_signal) +
           " exchanges before SIGTERM, " + std::to_string(load.tally.exchanges) +
           " in all): exit " + (code ? std::to_string(*code) : "none") + " after " +
           std::to_string(exit_ms) + " ms; " + std::to_string(load.closed_by_server) +
           " read every reply owed, whole, then end of stream; " +
           std::to_string(load.tally.errors) + " errors");
}

TEST_P(Shutdown, SigtermWithAThousandActiveClientsLosesNoReply) {
  sigterm_under_load({});
}

TEST_P(Shutdown, SigtermWithAThousandActiveClientsOnTwoThreadsLosesNoReply) {
  sigterm_under_load({"--threads", "2"});
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Shutdown, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
