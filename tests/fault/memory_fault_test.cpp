// A fault case about memory over time: waves of thousands of connections, one after another, and
// the server's resident memory once each wave has gone, which must not grow with the number of
// waves (on io_uring it grew by about 2 MB a wave: freed receive buffers kept by the allocator).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fault_case.hpp"
#include "fault_client.hpp"
#include "run_task.hpp"
#include "tasknet/time.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;

constexpr int wave_count = 5;
constexpr std::size_t wave_size = 5'000;
// select watches only descriptors below FD_SETSIZE (1024): on it a wave is as large as fits
// beside the server's own few descriptors, still far more than its pool keeps idle (64).
constexpr std::size_t select_wave_size = 900;
constexpr std::size_t opening_at_once = 200;  // well inside the listen backlog
constexpr std::size_t max_message = 8192;
constexpr std::size_t rss_slack_kib = 1024;

// Under a sanitizer the RSS is mostly the sanitizer's (shadow memory; AddressSanitizer's
// quarantine keeps up to 256 MiB of freed blocks, and the pool takes its buffers from new[]
// there): the case still runs and measures, and judges everything but the RSS.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool rss_judged = false;
#elif defined(__has_feature)
constexpr bool rss_judged = !(__has_feature(address_sanitizer) || __has_feature(thread_sanitizer));
#else
constexpr bool rss_judged = true;
#endif

/// One wave: every client connects and exchanges a message, all idle a second, all exchange
/// again at once (the burst that has the server lend most receive buffers), and all close.
struct Wave {
  Wave(Address address, std::size_t size, std::uint32_t first_seed) : server(address) {
    streams.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
      streams.emplace_back(first_seed + static_cast<std::uint32_t>(i), max_message);
    }
    sockets.resize(size);
  }
  Address server;
  std::vector<Socket> sockets;
  std::vector<MessageStream> streams;
  std::size_t busy = 0;  // clients whose connect or exchange is under way
  Tally tally;
};

/// Connects client `i` (once) and makes one exchange.
Task<void> connect_and_exchange(Wave& wave, std::size_t i) {
  try {
    if (!wave.sockets[i]) wave.sockets[i] = co_await connect_to(wave.server);
    co_await exchange(wave.sockets[i], wave.streams[i], after(30s));
    ++wave.tally.exchanges;
  } catch (const std::exception& error) {
    wave.tally.fail("client " + std::to_string(i) + ": " + error.what());
  }
  --wave.busy;
}

/// The wave from its first connect to its last close.
Task<void> run_wave(Wave& wave, Scheduler& scheduler) {
  for (std::size_t i = 0; i < wave.sockets.size(); ++i) {
    while (wave.busy >= opening_at_once) co_await sleep_for(1ms);
    ++wave.busy;
    scheduler.spawn(connect_and_exchange(wave, i));
  }
  while (wave.busy > 0) co_await sleep_for(5ms);  // each exchange has a deadline
  co_await sleep_for(1s);                         // every connection idles
  wave.busy = wave.sockets.size();
  for (std::size_t i = 0; i < wave.sockets.size(); ++i) {
    scheduler.spawn(connect_and_exchange(wave, i));
  }
  while (wave.busy > 0) co_await sleep_for(5ms);
  for (Socket& socket : wave.sockets) socket.close();
}

/// The server's RSS in KiB once it has let go of what a wave took, read every 100 ms from 1.5 s
/// after the wave's last close: the lowest seen, once it is at most `good_enough`, or has not
/// fallen for longer than a buffer-pool trim period, or at a deadline. tasknet-echo trims its
/// pool every second, and a trim frees what the period before it did not need, so a burst's
/// buffers go at the second trim after it: up to 2 s after the close, not always by 1.5 s.
std::size_t settled_resident_kib(const EchoUnderTest& server,
                                 std::chrono::steady_clock::time_point closed,
                                 std::size_t good_enough) {
  constexpr auto first_read = 1500ms;
  constexpr auto trim_period_and_margin = 1200ms;
  constexpr auto deadline = 5s;
  std::this_thread::sleep_until(closed + first_read);
  std::size_t lowest = server.resident_kib();
  auto lowest_since = std::chrono::steady_clock::now();
  while (lowest > good_enough &&
         std::chrono::steady_clock::now() - lowest_since < trim_period_and_margin &&
         std::chrono::steady_clock::now() < closed + deadline) {
    std::this_thread::sleep_for(100ms);
    const std::size_t resident = server.resident_kib();
    if (resident < lowest) {
      lowest = resident;
      lowest_since = std::chrono::steady_clock::now();
    }
  }
  return lowest;
}

class MemoryOverTime : public FaultCase {};

TEST_P(MemoryOverTime, FiveWavesOfConnectionsLeaveTheServerNoBiggerThanOneDid) {
  const std::size_t size = GetParam() == Backend::select ? select_wave_size : wave_size;
  const long descriptors_needed = static_cast<long>(size) + 200;
  if (!raise_descriptor_limit(descriptors_needed)) {
    GTEST_SKIP() << "this machine's hard descriptor limit is below " << descriptors_needed
                 << ", which a wave of " << size << " concurrent clients needs";
  }
  EchoUnderTest& server = start({.descriptor_limit = descriptors_needed});
  const std::size_t rss_at_start = server.resident_kib();
  Scheduler scheduler({.backend = Backend::epoll});
  const auto started = std::chrono::steady_clock::now();

  std::vector<std::size_t> rss_after;  // KiB, after each wave
  for (int n = 0; n < wave_count; ++n) {
    Wave wave(server.address(), size, static_cast<std::uint32_t>(n * size));
    testing::run_to_completion(scheduler, run_wave(wave, scheduler));
    const auto closed = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    std::uint64_t verified = 0;
    for (const MessageStream& stream : wave.streams) {
      sent += stream.sent();
      verified += stream.verified();
    }
    ASSERT_EQ(wave.tally.errors, 0U) << "wave " << n + 1 << ": " << wave.tally.describe();
    EXPECT_EQ(wave.tally.exchanges, 2 * size) << "wave " << n + 1;
    EXPECT_EQ(verified, sent) << "wave " << n + 1;
    const std::size_t good_enough = rss_after.empty() ? 0 : rss_after.front() + rss_slack_kib;
    rss_after.push_back(settled_resident_kib(server, closed, good_enough));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::string per_wave;
  for (const std::size_t rss : rss_after)
    per_wave += (per_wave.empty() ? "" : ", ") + std::to_string(rss);
  measured(std::to_string(wave_count) + " waves of " + std::to_string(size) +
           " connections (exchange, 1 s idle, exchange, close) in " + one_decimal(seconds) +
           " s; server RSS " + std::to_string(rss_at_start) + " KiB at start, after each wave " +
           per_wave + " KiB");
  if (rss_judged) {
    EXPECT_LE(rss_after.back(), rss_after.front() + rss_slack_kib)
        << "the server's RSS grew from wave to wave: " << per_wave << " KiB";
  }
  expect_recovered();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, MemoryOverTime, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
