// Fault cases about numbers of connections: ten thousand at once, a hundred thousand that connect
// and reset, and more clients than the server has descriptors for.
#include <signal.h>

#include <gtest/gtest.h>

#include <vector>

#include "blocking_client.hpp"
#include "fault_case.hpp"
#include "fault_client.hpp"
#include "run_task.hpp"
#include "tasknet/time.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;

// --- 10,000 concurrent connections ---------------------------------------------------------

constexpr std::size_t crowd_size = 10'000;
constexpr std::size_t connecting_at_once = 200;  // well inside the listen backlog
constexpr int exchanges_while_all_open = 3;

struct Crowd {
  explicit Crowd(Address address) : server(address) {
    streams.reserve(crowd_size);
    for (std::size_t i = 0; i < crowd_size; ++i) {
      streams.emplace_back(static_cast<std::uint32_t>(i), 8192);
    }
    sockets.resize(crowd_size);
  }
  Address server;
  std::vector<Socket> sockets;
  std::vector<MessageStream> streams;
  std::size_t connecting = 0;
  std::size_t finished = 0;  // of the current phase, successfully or not
  Tally tally;
};

/// Connects client `i` and makes its first exchange.
Task<void> join_crowd(Crowd& crowd, std::size_t i) {
  try {
    crowd.sockets[i] = co_await connect_to(crowd.server);
    co_await exchange(crowd.sockets[i], crowd.streams[i], after(60s));
    ++crowd.tally.exchanges;
  } catch (const std::exception& error) {
    crowd.tally.fail("client " + std::to_string(i) + " connecting: " + error.what());
  }
  --crowd.connecting;
  ++crowd.finished;
}

/// With every client connected: more exchanges, all clients at once, then close.
Task<void> talk_then_leave(Crowd& crowd, std::size_t i) {
  try {
    if (crowd.sockets[i]) {
      for (int n = 0; n < exchanges_while_all_open; ++n) {
        co_await exchange(crowd.sockets[i], crowd.streams[i], after(60s));
        ++crowd.tally.exchanges;
      }
    }
  } catch (const std::exception& error) {
    crowd.tally.fail("client " + std::to_string(i) + ": " + error.what());
  }
  crowd.sockets[i].close();
  ++crowd.finished;
}

Task<void> open_everyone(Crowd& crowd, Scheduler& scheduler) {
  for (std::size_t i = 0; i < crowd_size; ++i) {
    while (crowd.connecting >= connecting_at_once) co_await sleep_for(1ms);
    ++crowd.connecting;
    scheduler.spawn(join_crowd(crowd, i));
  }
  while (crowd.finished < crowd_size) co_await sleep_for(5ms);
}

Task<void> everyone_talks(Crowd& crowd, Scheduler& scheduler) {
  crowd.finished = 0;
  for (std::size_t i = 0; i < crowd_size; ++i) scheduler.spawn(talk_then_leave(crowd, i));
  while (crowd.finished < crowd_size) co_await sleep_for(5ms);
}

class ManyConnections : public FaultCase {};

TEST_P(ManyConnections, TenThousandConcurrentClientsAllVerified) {
  if (GetParam() == Backend::select) GTEST_SKIP() << "select serves at most FD_SETSIZE (1024)";
  const long descriptors_needed = crowd_size + 200;
  if (!raise_descriptor_limit(descriptors_needed)) {
    GTEST_SKIP() << "this machine's hard descriptor limit is below " << descriptors_needed
                 << ", which 10,000 concurrent clients need";
  }
  EchoUnderTest& server = start({.descriptor_limit = descriptors_needed});
  const std::size_t rss_before = server.resident_kib();
  Crowd crowd(server.address());
  Scheduler scheduler({.backend = Backend::epoll});
  const auto started = std::chrono::steady_clock::now();

  testing::run_to_completion(scheduler, open_everyone(crowd, scheduler));
  const double connect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(crowd.tally.errors, 0U) << crowd.tally.describe();

  // All ten thousand are open at once, on the server too.
  const std::size_t open_with_crowd = server.open_descriptors();
  const std::size_t rss_with_crowd = server.resident_kib();
  EXPECT_EQ(open_with_crowd, baseline_descriptors() + crowd_size);

  testing::run_to_completion(scheduler, everyone_talks(crowd, scheduler));
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::uint64_t sent = 0;
  std::uint64_t verified = 0;
  for (const MessageStream& stream : crowd.streams) {
    sent += stream.sent();
    verified += stream.verified();
  }
  EXPECT_EQ(crowd.tally.errors, 0U) << crowd.tally.describe();
  EXPECT_EQ(crowd.tally.exchanges, crowd_size * (1 + exchanges_while_all_open));
  EXPECT_EQ(verified, sent);
  measured(std::to_string(crowd_size) + " clients connected in " + one_decimal(connect_s) +
           " s; server descriptors " + std::to_string(open_with_crowd) + ", RSS " +
           std::to_string(rss_before) + " -> " + std::to_string(rss_with_crowd) + " KiB (" +
           one_decimal(static_cast<double>(rss_with_crowd - rss_before) * 1024 / crowd_size) +
           " bytes per connection); " + std::to_string(crowd.tally.exchanges) + " exchanges, " +
           std::to_string(verified) + " bytes verified in " + one_decimal(total_s) + " s");
  expect_recovered();
}

// --- 100,000 connect-then-reset cycles ----------------------------------------------------

constexpr std::size_t reset_cycles = 100'000;
constexpr std::size_t resetting_at_once = 32;

struct Resetters {
  Address server;
  std::size_t started = 0;
  std::size_t done = 0;
  Tally tally;
};

/// Connects and resets, again and again, until the cycles are used up; every other one sends a
/// few bytes first, so that the server has a read under way when the reset lands.
Task<void> connect_and_reset(Resetters& resetters) {
  while (resetters.started < reset_cycles) {
    const std::size_t cycle = resetters.started++;
    try {
      Socket socket = co_await connect_to(resetters.server);
      if (cycle % 2 == 1) co_await socket.send_all("half a request", {.deadline = after(10s)});
      reset(socket);
    } catch (const std::exception& error) {
      resetters.tally.fail("cycle " + std::to_string(cycle) + ": " + error.what());
    }
    ++resetters.done;
  }
}

Task<void> all_cycles(Resetters& resetters, Scheduler& scheduler) {
  for (std::size_t i = 0; i < resetting_at_once; ++i) scheduler.spawn(connect_and_reset(resetters));
  while (resetters.done < reset_cycles) co_await sleep_for(5ms);
}

TEST_P(ManyConnections, AHundredThousandResetsBesideFiftyGoodClients) {
  EchoUnderTest& server = start();
  GoodClients good(server.address(), 50);
  const auto cpu_before = server.cpu_time();
  const auto started = std::chrono::steady_clock::now();
  Resetters resetters{.server = server.address()};
  Scheduler scheduler({.backend = Backend::epoll});
  testing::run_to_completion(scheduler, all_cycles(resetters, scheduler));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto server_cpu = server.cpu_time() - cpu_before;
  const Tally bystanders = good.stop();

  EXPECT_EQ(resetters.tally.errors, 0U) << resetters.tally.describe();
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  EXPECT_GT(bystanders.exchanges, 0U);
  measured(std::to_string(reset_cycles) + " connect-reset cycles in " + one_decimal(seconds) +
           " s (" + std::to_string(static_cast<long>(reset_cycles / seconds)) + "/s), server CPU " +
           one_decimal(std::chrono::duration<double>(server_cpu).count()) +
           " s; 50 good clients: " + bystanders.describe());
  expect_recovered();
}

// --- Descriptor exhaustion -----------------------------------------------------------------

TEST_P(ManyConnections, OutOfDescriptorsItIdlesKeepsItsClientsAndRecovers) {
  EchoUnderTest& server = start({.descriptor_limit = 64});
  // Paced (each waits 10 ms between exchanges), so that serving them costs the server little
  // CPU and a server spinning on failed accepts would stand out.
  GoodClients good(server.address(), 10, 4096, 10ms);
  while (good.exchanges() < 100) std::this_thread::sleep_for(10ms);

  // Far more clients than the server has descriptors: the kernel completes their handshakes,
  // the server accepts until it runs out, and the rest wait in the backlog.
  std::vector<testing::BlockingClient> extra;
  for (int i = 0; i < 150; ++i) {
    extra.emplace_back(server.port(), false, 10);
    extra.back().send_all("x");
  }
  std::this_thread::sleep_for(300ms);
  const std::size_t open_while_exhausted = server.open_descriptors();
  const auto cpu_before = server.cpu_time();
  const double rate_while_exhausted = good.rate_over(1s);
  const auto idle_cpu = server.cpu_time() - cpu_before;
  // 64 or one more: a descriptor inherited above the limit still counts in /proc.
  EXPECT_GE(open_while_exhausted, 64U) << "the server should have used every descriptor";
  EXPECT_GT(rate_while_exhausted, 0) << "connected clients must keep being served";
  EXPECT_LT(idle_cpu, 150ms) << "spinning while out of descriptors";

  // Each extra client finishes: those served close, which frees descriptors for those still in
  // the backlog, which are then accepted and answered in turn.
  for (testing::BlockingClient& client : extra) client.shutdown_write();
  std::size_t answered = 0;
  for (testing::BlockingClient& client : extra) {
    const std::string reply = client.recv_until_eof();
    EXPECT_EQ(reply, "GOT:x");
    answered += reply == "GOT:x";
  }
  extra.clear();
  const Tally bystanders = good.stop();
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  measured("ulimit -n 64, 10 good + 150 extra clients: " + std::to_string(open_while_exhausted) +
           " descriptors open, server CPU " + std::to_string(idle_cpu.count() / 1000) +
           " us in 1 s while exhausted; good clients " + one_decimal(rate_while_exhausted) +
           " exchanges/s meanwhile; " + std::to_string(answered) +
           "/150 extra clients answered once descriptors freed");
  expect_recovered();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ManyConnections, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
