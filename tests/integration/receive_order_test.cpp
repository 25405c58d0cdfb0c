// Bytes come out in the order they were sent whichever way a handler reads them, and whenever they
// arrive, on every backend: the next receive, a recv into the handler's own buffer, try_recv, a
// readable() wait, a receive from another pool, the pool going between receives, and the socket
// closing with bytes unread. These are the cases a backend that reads ahead of the handler (an
// io_uring multishot receive kept armed between awaits: branch multishot-receive) must get
// right, so they stay here to hold any such change to them.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

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

class ReceiveOrder : public ::testing::TestWithParam<Backend> {
 protected:
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
  Scheduler scheduler{{.backend = GetParam()}};
  BlockingClient client{listener.local_address().port()};
};

/// Receives from `pool` and appends what came; false at end of stream or after 5 s.
Task<bool> receive_into(Socket& socket, BufferPool& pool, std::string& got) {
  Received received = co_await socket.receive(pool, {.deadline = after(5s)});
  if (received.status != WaitStatus::ready || received.end_of_stream()) co_return false;
  got += text_of(received);
  co_return true;
}

/// Lets the loop enter the kernel a few times: what the peer sent arrives meanwhile.
Task<void> stay_busy() {
  co_await sleep_for(20ms);
}

std::string numbered(int from, int count) {
  std::string text;
  for (int i = from; i < from + count; ++i) text += std::to_string(i) + ',';
  return text;
}

// Sent while the handler sleeps between receives, in pieces larger than a buffer.
TEST_P(ReceiveOrder, BytesThatArriveWhileTheHandlerIsBusyComeNextInOrder) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    BufferPool pool(48, 4, 8);
    Accepted accepted = co_await from.accept();
    std::string got;
    peer.send_all("first,");
    co_await receive_into(accepted.socket, pool, got);
    for (int round = 0; round < 5; ++round) {
      peer.send_all(numbered(round * 40, 40));  // about six buffers' worth
      co_await stay_busy();
      co_await receive_into(accepted.socket, pool, got);
    }
    peer.shutdown_write();
    while (co_await receive_into(accepted.socket, pool, got)) {
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)), "first," + numbered(0, 200));
}

// Every way of reading, one after another, on bytes that arrived while the handler was busy.
TEST_P(ReceiveOrder, ReceiveRecvTryRecvAndReadableTakeTurnsWithoutReordering) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    BufferPool pool(40, 4, 8);
    Accepted accepted = co_await from.accept();
    Socket& socket = accepted.socket;
    std::string got;
    peer.send_all("hello,");
    co_await receive_into(socket, pool, got);
    peer.send_all(numbered(0, 100));
    co_await stay_busy();
    std::array<char, 5> small{};
    for (int round = 0; round < 20; ++round) {
      switch (round % 4) {
        case 0: {
          const std::size_t count = co_await socket.recv(small, {.deadline = after(5s)});
          got.append(small.data(), count);
          break;
        }
        case 1:
          if (const auto count = socket.try_recv(small)) got.append(small.data(), *count);
          break;
        case 2: {
          const WaitStatus status = co_await socket.readable({.deadline = after(5s)});
          EXPECT_EQ(status, WaitStatus::ready);
          break;
        }
        default:
          co_await receive_into(socket, pool, got);
      }
    }
    peer.shutdown_write();
    while (co_await receive_into(socket, pool, got)) {
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)), "hello," + numbered(0, 100));
}

// Bytes a receive from one pool took go to a receive from another, into that pool's buffers.
TEST_P(ReceiveOrder, AReceiveFromAnotherPoolGetsTheBytesTheFirstPoolsReceiveTook) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    BufferPool first(64, 4, 8);
    BufferPool second(24, 4, 16);
    Accepted accepted = co_await from.accept();
    std::string got;
    peer.send_all("one,");
    co_await receive_into(accepted.socket, first, got);
    peer.send_all(numbered(0, 30));
    co_await stay_busy();
    peer.shutdown_write();
    for (;;) {
      Received received = co_await accepted.socket.receive(second, {.deadline = after(5s)});
      if (received.status != WaitStatus::ready || received.end_of_stream()) break;
      EXPECT_EQ(received.buffer.size(), 24U) << "a buffer of the pool received from";
      EXPECT_EQ(received.bytes().data(), received.buffer.data() + 16);
      EXPECT_LE(received.size, 8U);
      got += text_of(received);
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)), "one," + numbered(0, 30));
}

// A pool may go while the socket lives on: what its buffers hold is received from the next pool.
TEST_P(ReceiveOrder, APoolThatGoesBetweenReceivesLosesNoBytes) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    Accepted accepted = co_await from.accept();
    std::string got;
    auto going = std::make_unique<BufferPool>(64, 4, 8);
    peer.send_all("before,");
    co_await receive_into(accepted.socket, *going, got);
    peer.send_all(numbered(0, 30));
    co_await stay_busy();
    going.reset();
    peer.send_all("after");
    peer.shutdown_write();
    BufferPool next(32, 4, 0);
    while (co_await receive_into(accepted.socket, next, got)) {
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)),
            "before," + numbered(0, 30) + "after");
}

// A socket closed with bytes nobody read gives their buffers back (ASan's leak check sees the
// rest), and its descriptor number, reused at once, starts with nothing of the old one's.
TEST_P(ReceiveOrder, ASocketClosedWithBytesNobodyReadLetsThemGo) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    BufferPool pool(64, 4, 8);
    std::string got;
    {
      Accepted accepted = co_await from.accept();
      peer.send_all("read,");
      co_await receive_into(accepted.socket, pool, got);
      peer.send_all("never read");
      co_await stay_busy();
    }  // closed here
    BlockingClient second(from.local_address().port());
    second.send_all("second");
    second.shutdown_write();
    Accepted accepted = co_await from.accept();
    while (co_await receive_into(accepted.socket, pool, got)) {
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)), "read,second");
}

// A receive cancelled while bytes wait for it loses none: the next receive gets them.
TEST_P(ReceiveOrder, AReceiveTimedOutBetweenArrivalsLosesNothing) {
  auto serve = [](TcpListener& from, BlockingClient& peer) -> Task<std::string> {
    BufferPool pool(64, 4, 8);
    Accepted accepted = co_await from.accept();
    std::string got;
    std::string sent = "a,";
    peer.send_all(sent);
    for (int round = 0; round < 4; ++round) {
      while (got.size() < sent.size() && co_await receive_into(accepted.socket, pool, got)) {
      }
      // Everything sent has been received: this one waits, and times out.
      Received nothing = co_await accepted.socket.receive(pool, {.deadline = after(5ms)});
      EXPECT_EQ(nothing.status, WaitStatus::timed_out);
      sent += numbered(round * 10, 10);
      peer.send_all(numbered(round * 10, 10));
      co_await stay_busy();
    }
    peer.shutdown_write();
    while (co_await receive_into(accepted.socket, pool, got)) {
    }
    co_return got;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(listener, client)), "a," + numbered(0, 40));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReceiveOrder, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
