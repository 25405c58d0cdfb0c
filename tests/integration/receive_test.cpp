// Socket::receive into pooled buffers, against real loopback connections, on every backend: the
// bytes land after the pool's headroom, end of stream, timeouts and cancellation are statuses
// that lose nothing, more receivers than the pool keeps (on io_uring: the ring of provided
// buffers runs dry), and the pool and its scheduler going in either order.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

#include "backends.hpp"
#include "blocking_client.hpp"
#include "received_text.hpp"
#include "run_task.hpp"
#include "tasknet/buffer_pool.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::BlockingClient;
using testing::run_to_completion;
using testing::text_of;

constexpr std::size_t headroom = 16;

class ReceiveIntoPool : public ::testing::TestWithParam<Backend> {
 protected:
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
  [[nodiscard]] std::uint16_t port() const { return listener.local_address().port(); }
};

/// Accepts one connection and receives from it until end of stream, with a deadline for each
/// receive; what arrived, or why it stopped.
Task<std::string> receive_all(TcpListener& listener, BufferPool& pool) {
  Accepted accepted = co_await listener.accept();
  std::string got;
  for (;;) {
    Received received = co_await accepted.socket.receive(pool, {.deadline = after(5s)});
    if (received.status != WaitStatus::ready) co_return "stalled after " + got;
    if (received.end_of_stream()) co_return got;
    got += text_of(received);
  }
}

TEST_P(ReceiveIntoPool, TheBytesLandAfterTheHeadroomAndEndOfStreamIsAValue) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64, 4, headroom);
  BlockingClient client(port());
  client.send_all("hello");
  auto serve = [](TcpListener& from, BufferPool& buffers) -> Task<std::string> {
    Accepted accepted = co_await from.accept();
    Received first = co_await accepted.socket.receive(buffers);
    EXPECT_EQ(first.status, WaitStatus::ready);
    EXPECT_TRUE(first.buffer);
    EXPECT_EQ(first.bytes().data(), first.buffer.data() + headroom) << "the headroom is not kept";
    EXPECT_EQ(first.buffer.size(), 64U);
    std::string got = text_of(first);
    const Received last = co_await accepted.socket.receive(buffers);
    EXPECT_TRUE(last.end_of_stream());
    EXPECT_FALSE(last.buffer) << "end of stream holds no buffer";
    co_return got;
  };
  client.shutdown_write();
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, pool)), "hello");
}

TEST_P(ReceiveIntoPool, AStreamLongerThanABufferArrivesWholeAndInOrder) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64 + headroom, 2, headroom);
  std::string sent;
  for (int i = 0; i < 4000; ++i) sent += std::to_string(i) + ',';
  BlockingClient client(port());
  client.send_all(sent);
  client.shutdown_write();
  EXPECT_EQ(run_to_completion(scheduler, receive_all(listener, pool)), sent);
}

struct HeldBuffers {
  BufferPool* pool = nullptr;
  std::vector<Received> held;
  int waiting = 0;
};

/// Receives once and keeps the buffer until every receiver has received.
Task<void> receive_and_hold(Socket socket, HeldBuffers& all) {
  Received received = co_await socket.receive(*all.pool, {.deadline = after(5s)});
  all.held.push_back(std::move(received));
  --all.waiting;
  while (all.waiting > 0) co_await sleep_for(1ms);
}

Task<void> accept_receivers(TcpListener& listener, HeldBuffers& all, int count) {
  for (int i = 0; i < count; ++i) {
    Accepted accepted = co_await listener.accept();
    (co_await this_scheduler()).spawn(receive_and_hold(std::move(accepted.socket), all));
  }
}

// Each receiver keeps its buffer until all have received, so most of them find the pool's two
// idle buffers (on io_uring: its ring of two provided buffers) taken, and must borrow more.
TEST_P(ReceiveIntoPool, MoreReceiversHoldingBuffersThanThePoolKeepsAllGetTheirBytes) {
  constexpr int receivers = 8;
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(128, 2, headroom);
  std::vector<BlockingClient> clients;
  for (int i = 0; i < receivers; ++i) clients.emplace_back(port());
  HeldBuffers shared{.pool = &pool, .waiting = receivers};
  scheduler.spawn(accept_receivers(listener, shared, receivers));
  for (int i = 0; i < receivers; ++i) clients[i].send_all("client " + std::to_string(i));
  scheduler.run();

  ASSERT_EQ(shared.held.size(), static_cast<std::size_t>(receivers));
  std::vector<std::string> texts;
  for (Received& received : shared.held) {
    EXPECT_EQ(received.status, WaitStatus::ready);
    texts.push_back(text_of(received));
  }
  std::sort(texts.begin(), texts.end());
  for (int i = 0; i < receivers; ++i) EXPECT_EQ(texts[i], "client " + std::to_string(i));
  shared.held.clear();
  EXPECT_LE(pool.idle_count(), 2U) << "a pool keeps no more than max_idle";
}

struct BuffersSeen {
  BufferPool* pool = nullptr;
  std::vector<const char*> buffers;  // where each receive's bytes were
  std::vector<std::string> texts;
};

/// Receives once and lets the buffer go at once, as a handler that has answered does.
Task<void> receive_once(Socket socket, BuffersSeen& seen) {
  Received received = co_await socket.receive(*seen.pool, {.deadline = after(5s)});
  seen.buffers.push_back(received.buffer.data());
  seen.texts.push_back(text_of(received));
}

/// Accepts `clients.size()` connections and starts a receiver on each; once all of them wait,
/// every client sends, so that one wait of the poller finds them all readable.
Task<void> receive_from_all_at_once(TcpListener& listener, std::vector<BlockingClient>& clients,
                                    BuffersSeen& seen) {
  Scheduler& scheduler = co_await this_scheduler();
  for (std::size_t i = 0; i < clients.size(); ++i) {
    Accepted accepted = co_await listener.accept();
    scheduler.spawn(receive_once(std::move(accepted.socket), seen));
  }
  co_await yield_now();  // the receivers run, find nothing and wait
  for (std::size_t i = 0; i < clients.size(); ++i)
    clients[i].send_all("client " + std::to_string(i));
}

// A receive borrows when its task's turn comes, not while the scheduler goes through the events
// of a wait: one buffer then serves every connection in turn. Borrowing while going through the
// events took one buffer per readable connection before any task ran to give one back (eight
// here, seven of them allocated; at 500 connections, hundreds of 64 KiB buffers per wait).
// On io_uring the ring's one buffer may serve one receive and the pool's idle one the rest.
TEST_P(ReceiveIntoPool, ManyReadableAtOnceBorrowOneBufferAfterAnother) {
  constexpr int receivers = 8;
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(128, 1, headroom);
  std::vector<BlockingClient> clients;
  for (int i = 0; i < receivers; ++i) clients.emplace_back(port());
  BuffersSeen seen{.pool = &pool};
  scheduler.spawn(receive_from_all_at_once(listener, clients, seen));
  scheduler.run();

  ASSERT_EQ(seen.texts.size(), static_cast<std::size_t>(receivers));
  std::sort(seen.texts.begin(), seen.texts.end());
  for (int i = 0; i < receivers; ++i) EXPECT_EQ(seen.texts[i], "client " + std::to_string(i));
  std::sort(seen.buffers.begin(), seen.buffers.end());
  const auto distinct = static_cast<std::size_t>(
      std::unique(seen.buffers.begin(), seen.buffers.end()) - seen.buffers.begin());
  EXPECT_LE(distinct, GetParam() == Backend::uring ? 2U : 1U);
}

/// Waits until `socket` is readable, then stops `stop`.
Task<void> stop_when_readable(Socket socket, std::stop_source& stop) {
  co_await socket.readable();
  stop.request_stop();
}

/// Sends on each client in turn: the first becomes readable first.
Task<void> send_in_turn(std::vector<BlockingClient>& clients) {
  for (BlockingClient& client : clients) client.send_all("bytes");
  co_return;
}

/// Receives on the second of two connections with a stop that a task waiting on the first
/// requests when its bytes come: both are reported by one wait, the first first (poll and select
/// report in descriptor order; epoll in the order descriptors became ready, writable included,
/// so the neighbour starts waiting first).
Task<std::string> receive_stopped_by_a_neighbour(TcpListener& listener, BufferPool& pool,
                                                 std::vector<BlockingClient>& clients,
                                                 std::stop_source& stop) {
  Scheduler& scheduler = co_await this_scheduler();
  Accepted neighbour = co_await listener.accept();
  Accepted accepted = co_await listener.accept();
  scheduler.spawn(stop_when_readable(std::move(neighbour.socket), stop));
  co_await yield_now();                    // the neighbour waits
  scheduler.spawn(send_in_turn(clients));  // runs once this task waits too
  const std::stop_token token = stop.get_token();
  Received received = co_await accepted.socket.receive(pool, {.stop = token});
  if (received.status != WaitStatus::cancelled) co_return text_of(received);
  EXPECT_FALSE(received.buffer);
  Received later = co_await accepted.socket.receive(pool, {.deadline = after(5s)});
  co_return "cancelled, then " + text_of(later);
}

// A receive reported readable waits in the ready queue for its turn to borrow and receive; a
// stop that comes meanwhile (from a task ahead of it) ends it as cancelled, resumed once, and
// the bytes wait for the next receive. On io_uring the receive has completed with the bytes
// before any task runs, so the stop comes too late to matter.
TEST_P(ReceiveIntoPool, AStopWhileAReceiveWaitsForItsTurnCancelsItAndLosesNoBytes) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64, 2, headroom);
  std::vector<BlockingClient> clients;
  clients.emplace_back(port());
  clients.emplace_back(port());
  std::stop_source stop;
  const std::string outcome =
      run_to_completion(scheduler, receive_stopped_by_a_neighbour(listener, pool, clients, stop));
  if (GetParam() == Backend::uring) {
    EXPECT_TRUE(outcome == "bytes" || outcome == "cancelled, then bytes") << outcome;
  } else {
    EXPECT_EQ(outcome, "cancelled, then bytes");
  }
}

TEST_P(ReceiveIntoPool, ATimeoutIsAStatusHoldsNoBufferAndLosesNoBytes) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64, 4, headroom);
  BlockingClient client(port());
  auto serve = [](TcpListener& from, BufferPool& buffers,
                  BlockingClient& peer) -> Task<std::string> {
    Accepted accepted = co_await from.accept();
    const Received timed_out = co_await accepted.socket.receive(buffers, {.deadline = after(20ms)});
    EXPECT_EQ(timed_out.status, WaitStatus::timed_out);
    EXPECT_FALSE(timed_out.buffer);
    EXPECT_EQ(timed_out.size, 0U);
    peer.send_all("after the timeout");
    Received later = co_await accepted.socket.receive(buffers, {.deadline = after(5s)});
    co_return text_of(later);
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, pool, client)), "after the timeout");
}

TEST_P(ReceiveIntoPool, AStopRequestCancelsAWaitingReceiveAndLosesNoBytes) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64, 4, headroom);
  BlockingClient client(port());
  std::stop_source stop;
  auto serve = [](TcpListener& from, BufferPool& buffers, BlockingClient& peer,
                  std::stop_token token) -> Task<std::string> {
    Accepted accepted = co_await from.accept();
    const Received cancelled = co_await accepted.socket.receive(buffers, {.stop = token});
    EXPECT_EQ(cancelled.status, WaitStatus::cancelled);
    EXPECT_FALSE(cancelled.buffer);
    peer.send_all("after the cancellation");
    Received later = co_await accepted.socket.receive(buffers, {.deadline = after(5s)});
    co_return text_of(later);
  };
  auto stop_soon = [](std::stop_source* source) -> Task<void> {
    co_await sleep_for(20ms);
    source->request_stop();
  };
  scheduler.spawn(stop_soon(&stop));
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, pool, client, stop.get_token())),
            "after the cancellation");
}

TEST_P(ReceiveIntoPool, APeerResetIsAnError) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool pool(64, 4, headroom);
  auto serve = [](TcpListener& from, BufferPool& buffers) -> Task<std::string> {
    Accepted accepted = co_await from.accept();
    try {
      for (;;) {
        const Received received = co_await accepted.socket.receive(buffers);
        if (received.end_of_stream()) co_return "clean end of stream";
      }
    } catch (const std::system_error& error) {
      co_return error.code() == std::errc::connection_reset ? "reset" : error.what();
    }
  };
  BlockingClient client(port());
  client.send_all("unread by anyone");
  client.reset();
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, pool)), "reset");
}

// A scheduler that goes first lets go of the pool (on io_uring: unregisters the ring it fed), so
// the pool serves the next scheduler; a pool that goes first (its receives done) leaves its
// scheduler able to serve another pool. Under ASan, any memory either kept pointing at is caught.
TEST_P(ReceiveIntoPool, APoolAndItsSchedulerMayGoInEitherOrder) {
  BufferPool long_lived(64, 4, headroom);
  for (int round = 0; round < 2; ++round) {
    Scheduler scheduler({.backend = GetParam()});
    {
      BufferPool short_lived(64, 4, headroom);
      BlockingClient client(port());
      client.send_all("short-lived pool");
      client.shutdown_write();
      EXPECT_EQ(run_to_completion(scheduler, receive_all(listener, short_lived)),
                "short-lived pool");
    }
    BlockingClient client(port());
    client.send_all("round " + std::to_string(round));
    client.shutdown_write();
    EXPECT_EQ(run_to_completion(scheduler, receive_all(listener, long_lived)),
              "round " + std::to_string(round));
  }
}

// Pools made and dropped one after another beside one that stays, all on one scheduler (on
// io_uring: each new pool's ring takes the group number a dropped one gave up).
TEST_P(ReceiveIntoPool, PoolsMadeAndDroppedOneAfterAnotherKeepReceiving) {
  Scheduler scheduler({.backend = GetParam()});
  BufferPool staying(64, 4, headroom);
  for (int round = 0; round < 4; ++round) {
    const std::string text = "pool " + std::to_string(round);
    {
      BufferPool dropped(64 + round, 2, headroom);
      BlockingClient client(port());
      client.send_all(text);
      client.shutdown_write();
      EXPECT_EQ(run_to_completion(scheduler, receive_all(listener, dropped)), text);
    }
    BlockingClient client(port());
    client.send_all("staying, " + text);
    client.shutdown_write();
    EXPECT_EQ(run_to_completion(scheduler, receive_all(listener, staying)), "staying, " + text);
  }
}

// A pool feeds one scheduler's ring at a time: a second scheduler using it at the same time
// receives by waiting and borrowing.
TEST_P(ReceiveIntoPool, TwoSchedulersMayShareAPoolOneAtATime) {
  BufferPool pool(64, 4, headroom);
  Scheduler first({.backend = GetParam()});
  Scheduler second({.backend = GetParam()});
  TcpListener second_listener = TcpListener::bind(Address::ipv4_loopback(0));  // one each
  const struct {
    Scheduler* scheduler;
    TcpListener* listener;
    const char* text;
  } turns[] = {{&first, &listener, "first"},
               {&second, &second_listener, "second"},
               {&first, &listener, "first again"}};
  for (const auto& turn : turns) {
    BlockingClient client(turn.listener->local_address().port());
    client.send_all(turn.text);
    client.shutdown_write();
    EXPECT_EQ(run_to_completion(*turn.scheduler, receive_all(*turn.listener, pool)), turn.text);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReceiveIntoPool, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
