// Fault cases about how clients behave: reading slowly or never, sending in 1-byte fragments or
// 16 MiB bursts, half-closing, leaving in the middle of a reply, or saying nothing at all.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <vector>

#include "blocking_client.hpp"
#include "fault_case.hpp"
#include "fault_client.hpp"
#include "run_task.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t megabyte = 1 << 20;

/// Spawns `count` copies of `client(i, ...)` and runs them all to their end.
template <typename MakeClient>
void run_clients(std::size_t count, MakeClient make_client) {
  Scheduler scheduler({.backend = Backend::epoll});
  for (std::size_t i = 0; i < count; ++i) scheduler.spawn(make_client(i));
  scheduler.run();
}

// --- Slow readers and never-readers --------------------------------------------------------

struct Attack {
  std::atomic<std::uint64_t> bytes_pushed{0};  // what the attackers got the kernel to take
  Tally slow_readers;                          // their replies are still checked
};

/// Sends without ever reading, until stopped.
Task<void> never_reader(Address server, std::uint32_t seed, Attack& attack, std::stop_token stop) {
  MessageStream stream(seed, 1);
  try {
    Socket socket = co_await connect_to(server);
    while (!stop.stop_requested()) {
      co_await socket.send_all(stream.next_bytes(megabyte), {.stop = stop});
      attack.bytes_pushed += megabyte;
    }
    reset(socket);
  } catch (const std::system_error&) {
    // Stopped in the middle of a send: the end of the attack.
  }
}

Task<void> keep_sending(Socket& socket, MessageStream& stream, Attack& attack, std::stop_token stop,
                        bool& done) {
  try {
    while (!stop.stop_requested()) {
      co_await socket.send_all(stream.next_bytes(64 * 1024), {.stop = stop});
      attack.bytes_pushed += 64 * 1024;
    }
  } catch (const std::system_error&) {
  }
  done = true;
}

/// Sends all the time but reads only 4 KiB every 20 ms; what it reads is checked.
Task<void> slow_reader(Address server, std::uint32_t seed, Attack& attack, std::stop_token stop) {
  MessageStream stream(seed, 1);
  try {
    Socket socket = co_await connect_to(server);
    bool sender_done = false;
    (co_await this_scheduler()).spawn(keep_sending(socket, stream, attack, stop, sender_done));
    std::array<char, 4096> buffer;
    while (!stop.stop_requested()) {
      co_await sleep_for(20ms, {.stop = stop});
      if (const auto received = socket.try_recv(buffer); received && *received > 0) {
        if (!stream.feed({buffer.data(), *received})) throw std::runtime_error(stream.error());
      }
    }
    while (!sender_done) co_await yield_now();
    reset(socket);
  } catch (const std::exception& error) {
    attack.slow_readers.fail(error.what());
  }
}

class ClientBehaviour : public FaultCase {};

TEST_P(ClientBehaviour, SlowAndNeverReadingClientsCostBoundedMemoryAndNoOnesRate) {
  constexpr std::uint32_t attackers = 20;  // of each kind
  EchoUnderTest& server = start();
  GoodClients good(server.address(), 20);
  std::this_thread::sleep_for(300ms);
  const double rate_before = good.rate_over(1s);
  const std::size_t rss_before = server.resident_kib();

  Attack attack;
  ClientThread attack_thread([&](Scheduler& scheduler, std::stop_token stop) {
    for (std::uint32_t i = 0; i < attackers; ++i) {
      scheduler.spawn(never_reader(server.address(), i, attack, stop));
      scheduler.spawn(slow_reader(server.address(), 100 + i, attack, stop));
    }
  });
  std::this_thread::sleep_for(1500ms);  // long enough for every buffer on the way to fill
  const double rate_during = good.rate_over(1s);
  const std::size_t rss_during = server.resident_kib();
  const std::uint64_t pushed = attack.bytes_pushed.load();
  attack_thread.stop();
  const Tally bystanders = good.stop();

  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  EXPECT_EQ(attack.slow_readers.errors, 0U) << attack.slow_readers.describe();
  // The server holds at most one 64 KiB read per stuck connection; its memory does not follow
  // what the attackers push. 32 MiB leaves room for allocator slack, not for a queue.
  EXPECT_LT(rss_during, rss_before + 32 * 1024) << "RSS grew with the attack";
  // The machine has two cores, shared by both sides, so some slowdown is the attackers' own CPU;
  // starvation would be near zero.
  EXPECT_GT(rate_during, rate_before * 0.25) << "good clients starved by the attack";
  measured(std::to_string(attackers) + " never-readers + " + std::to_string(attackers) +
           " slow readers pushed " + std::to_string(pushed / megabyte) +
           " MiB into the kernel; server RSS " + std::to_string(rss_before) + " -> " +
           std::to_string(rss_during) + " KiB; 20 good clients " + one_decimal(rate_before) +
           " -> " + one_decimal(rate_during) + " exchanges/s; " + bystanders.describe());
  expect_recovered();
}

// --- 1-byte fragments and 16 MiB bursts ----------------------------------------------------

struct Fragments {
  Address server;
  Tally tally;
};

/// Three messages, each sent one byte at a time with random pauses, each reply checked.
Task<void> fragment_client(Fragments& run, std::uint32_t seed) {
  MessageStream stream(seed, 1);
  std::minstd_rand random(seed + 1);
  std::uniform_int_distribution<int> pause_us(0, 2000);
  std::uniform_int_distribution<std::size_t> size(50, 300);
  try {
    Socket socket = co_await connect_to(run.server);
    for (int message = 0; message < 3; ++message) {
      const std::size_t bytes = size(random);
      for (std::size_t i = 0; i < bytes; ++i) {
        co_await socket.send_all(stream.next_bytes(1), {.deadline = after(10s)});
        co_await sleep_for(std::chrono::microseconds(pause_us(random)));
      }
      co_await receive_all_replies(socket, stream, after(10s));
      ++run.tally.exchanges;
    }
    run.tally.bytes_verified += stream.verified();
  } catch (const std::exception& error) {
    run.tally.fail("fragments: " + std::string(error.what()));
  }
}

Task<void> send_burst(Socket& socket, MessageStream& stream, std::size_t bytes, bool& done) {
  try {
    for (std::size_t sent = 0; sent < bytes; sent += megabyte) {
      co_await socket.send_all(stream.next_bytes(megabyte), {.deadline = after(60s)});
    }
  } catch (const std::exception&) {
    // The reader reports the bytes that never came back.
  }
  done = true;
}

/// 16 MiB written back to back while the replies are read: all of it must come back.
Task<void> burst_client(Fragments& run, std::uint32_t seed) {
  constexpr std::size_t burst = 16 * megabyte;
  MessageStream stream(seed, 1);
  try {
    Socket socket = co_await connect_to(run.server);
    bool sent = false;
    (co_await this_scheduler()).spawn(send_burst(socket, stream, burst, sent));
    while (stream.verified() < burst) {
      // Bound to a name first: see receive_all_replies on GCC 12 and co_await in conditions.
      const std::size_t received = co_await receive_into(socket, stream, after(60s));
      if (received == 0) throw_closed_early(stream);
    }
    while (!sent) co_await yield_now();
    ++run.tally.exchanges;
    run.tally.bytes_verified += stream.verified();
  } catch (const std::exception& error) {
    run.tally.fail("burst: " + std::string(error.what()));
  }
}

TEST_P(ClientBehaviour, OneByteFragmentsAndSixteenMegabyteBursts) {
  EchoUnderTest& server = start();
  GoodClients good(server.address(), 10);
  Fragments run{.server = server.address()};
  const auto started = std::chrono::steady_clock::now();
  run_clients(24, [&run](std::size_t i) {
    const auto seed = static_cast<std::uint32_t>(i);
    return i < 20 ? fragment_client(run, seed) : burst_client(run, seed);
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const Tally bystanders = good.stop();
  EXPECT_EQ(run.tally.errors, 0U) << run.tally.describe();
  EXPECT_EQ(run.tally.exchanges, 20U * 3 + 4);
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  measured("20 fragment clients (3 messages each) + 4 x 16 MiB bursts in " + one_decimal(seconds) +
           " s: " + run.tally.describe() + "; 10 good clients: " + bystanders.describe());
  expect_recovered();
}

// --- Half-closed clients and clients that leave mid-reply -----------------------------------

/// Sends several messages without waiting, half-closes, and reads until the server closes:
/// every reply must arrive before the end of stream.
Task<void> half_closing_client(Fragments& run, std::uint32_t seed) {
  MessageStream stream(seed, 16 * 1024);
  try {
    Socket socket = co_await connect_to(run.server);
    for (int message = 0; message < 4; ++message) {
      co_await socket.send_all(stream.next_message(), {.deadline = after(10s)});
    }
    socket.shutdown_write();
    for (;;) {
      const std::size_t received = co_await receive_into(socket, stream, after(10s));
      if (received == 0) break;
    }
    if (stream.verified() != stream.sent()) {
      throw std::runtime_error("end of stream after " + std::to_string(stream.verified()) + " of " +
                               std::to_string(stream.sent()) + " bytes");
    }
    ++run.tally.exchanges;
    run.tally.bytes_verified += stream.verified();
  } catch (const std::exception& error) {
    run.tally.fail("half-closed: " + std::string(error.what()));
  }
}

/// Sends 1 MiB, reads a little of the reply (or none), and closes with the rest unread: the
/// kernel resets the connection under the server's feet.
Task<void> leaving_client(Fragments& run, std::uint32_t seed) {
  MessageStream stream(seed, 1);
  try {
    Socket socket = co_await connect_to(run.server);
    co_await socket.send_all(stream.next_bytes(megabyte), {.deadline = after(10s)});
    if (seed % 2 == 0) co_await receive_into(socket, stream, after(10s));
    ++run.tally.exchanges;
  } catch (const std::exception& error) {
    run.tally.fail("leaving: " + std::string(error.what()));
  }
}

TEST_P(ClientBehaviour, HalfClosedClientsGetEveryReplyAndLeaversHarmNoOne) {
  EchoUnderTest& server = start();
  GoodClients good(server.address(), 10);
  Fragments run{.server = server.address()};
  run_clients(100, [&run](std::size_t i) {
    const auto seed = static_cast<std::uint32_t>(i);
    return i % 2 == 0 ? half_closing_client(run, seed) : leaving_client(run, seed);
  });
  std::this_thread::sleep_for(200ms);  // the good clients keep going after the resets
  const Tally bystanders = good.stop();
  EXPECT_EQ(run.tally.errors, 0U) << run.tally.describe();
  EXPECT_EQ(run.tally.exchanges, 100U);
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  measured("50 half-closed clients (" + std::to_string(run.tally.bytes_verified) +
           " bytes verified before end of stream) + 50 leaving mid-reply; 10 good clients: " +
           bystanders.describe());
  expect_recovered();
}

// --- Clients that connect and send nothing -------------------------------------------------

constexpr int silent_clients = 200;

TEST_P(ClientBehaviour, SilentClientsStayOpenWithoutAnIdleTimeout) {
  EchoUnderTest& server = start();
  GoodClients good(server.address(), 10);
  std::vector<testing::BlockingClient> silent;
  for (int i = 0; i < silent_clients; ++i) silent.emplace_back(server.port(), false, 10);
  std::this_thread::sleep_for(1s);
  const std::size_t open = server.open_descriptors();
  EXPECT_EQ(open, baseline_descriptors() + 10 + silent_clients) << "a silent client was closed";
  silent.clear();
  const Tally bystanders = good.stop();
  EXPECT_EQ(bystanders.errors, 0U) << bystanders.describe();
  measured(std::to_string(silent_clients) + " silent clients all still open after 1 s (" +
           std::to_string(open) + " descriptors); 10 good clients: " + bystanders.describe());
  expect_recovered();
}

TEST_P(ClientBehaviour, SilentClientsAreClosedAfterTheIdleTimeout) {
  EchoUnderTest& server = start({.options = {"--idle-timeout", "0.5"}});
  GoodClients good(server.address(), 10);  // busy, so never idle
  const auto connected = std::chrono::steady_clock::now();
  std::vector<testing::BlockingClient> silent;
  for (int i = 0; i < silent_clients; ++i) silent.emplace_back(server.port(), false, 10);
  auto first_close = std::chrono::steady_clock::duration::max();
  for (testing::BlockingClient& client : silent) {
    EXPECT_EQ(client.recv_until_eof(), "");  // closed by the server, having sent nothing
    first_close = std::min(first_close, std::chrono::steady_clock::now() - connected);
  }
  const auto last_close = std::chrono::steady_clock::now() - connected;
  EXPECT_GE(first_close, 450ms) << "closed before the idle timeout";
  EXPECT_LT(last_close, 5s);
  const double rate = good.rate_over(500ms);
  const Tally bystanders = good.stop();
  EXPECT_GT(rate, 0);
  EXPECT_EQ(bystanders.errors, 0U)
      << "an active client was closed as idle: " << bystanders.describe();
  measured(std::to_string(silent_clients) + " silent clients closed between " +
           std::to_string(first_close / 1ms) + " and " + std::to_string(last_close / 1ms) +
           " ms (idle timeout 500 ms); 10 busy clients: " + bystanders.describe());
  expect_recovered();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ClientBehaviour, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
