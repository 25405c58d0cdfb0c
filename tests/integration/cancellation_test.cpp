// Structured cancellation reaching real I/O, on every backend: a group's failure ends a sibling's
// receive, a timeout ends a receive or a send_all, and what was cancelled lost nothing it did not
// report (the bytes stay for the next receive; send_all says how many went).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "backends.hpp"
#include "blocking_client.hpp"
#include "run_task.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/task_group.hpp"
#include "tasknet/time.hpp"
#include "tasknet/timeout.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::BlockingClient;
using testing::run_to_completion;

class Cancellation : public ::testing::TestWithParam<Backend> {
 protected:
  Scheduler scheduler{{.backend = GetParam()}};
  TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
};

Task<void> fail_soon() {
  co_await sleep_for(5ms);
  throw std::runtime_error("a sibling failed");
}

/// Receives once; says whether it was cancelled.
Task<void> receive_once(Socket* socket, std::string* outcome) {
  char buffer[16] = {};  // valgrind cannot see io_uring write into it: defined up front
  try {
    const std::size_t n = co_await socket->recv(buffer);
    *outcome = "received " + std::string(buffer, n);
  } catch (const Cancelled&) {
    *outcome = "cancelled";
  }
}

/// After a cancelled receive, the next one gets what the peer sends.
Task<std::string> next_bytes(Socket& socket, BlockingClient& peer) {
  peer.send_all("late");
  char buffer[16] = {};  // valgrind cannot see io_uring write into it: defined up front
  const std::size_t n = co_await socket.recv(buffer, {.deadline = after(5s)});
  co_return std::string(buffer, n);
}

TEST_P(Cancellation, AGroupsFirstFailureEndsASiblingsReceiveAndTheBytesStay) {
  BlockingClient peer(listener.local_address().port());
  auto serve = [](TcpListener* from, BlockingClient* client) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    std::string sibling;
    std::string failure;
    TaskGroup group = co_await task_group();
    group.spawn(receive_once, &accepted.socket, &sibling);
    group.spawn(fail_soon);
    try {
      co_await group.join();
    } catch (const std::runtime_error& error) {
      failure = error.what();
    }
    const std::string late = co_await next_bytes(accepted.socket, *client);
    co_return sibling + "; " + failure + "; then " + late;
  };
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener, &peer)),
            "cancelled; a sibling failed; then late");
}

TEST_P(Cancellation, ATimeoutEndsAReceiveAndTheBytesStay) {
  BlockingClient peer(listener.local_address().port());
  auto serve = [](TcpListener* from, BlockingClient* client) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    std::string outcome;
    std::string reported;
    try {
      co_await with_timeout(20ms, receive_once(&accepted.socket, &outcome));
      reported = "no timeout";
    } catch (const TimedOut& error) {
      reported = error.what();  // receive_once swallowed Cancelled: the value path
    }
    const std::string late = co_await next_bytes(accepted.socket, *client);
    co_return outcome + "; " + reported + "; then " + late;
  };
  // receive_once handles its cancellation and returns: with_timeout gives its (void) result.
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener, &peer)),
            "cancelled; no timeout; then late");
}

/// Sends `total` bytes; on cancellation, notes how many went, and passes the cancellation on.
Task<void> send_everything(Socket* socket, std::size_t total, std::size_t* sent) {
  const std::string data(total, 'x');
  SendAllOperation sending = socket->send_all(data);
  try {
    co_await sending;
  } catch (const Cancelled&) {
    *sent = sending.bytes_sent();
    throw;
  }
  *sent = sending.bytes_sent();
}

// The peer reads nothing until the timeout has ended the send; then it reads everything there
// is: exactly the bytes send_all said had gone.
TEST_P(Cancellation, ATimedOutSendAllSaysExactlyHowManyBytesWent) {
  BlockingClient peer(listener.local_address().port());
  constexpr std::size_t total = std::size_t{32} << 20;  // more than loopback's buffers hold
  auto serve = [](TcpListener* from, std::size_t* sent) -> Task<std::string> {
    Accepted accepted = co_await from->accept();
    std::string reported;
    try {
      co_await with_timeout(50ms, send_everything(&accepted.socket, total, sent));
      reported = "sent everything";
    } catch (const TimedOut& error) {
      reported = error.what();
    }
    accepted.socket.shutdown_write();
    co_return reported;
  };
  std::size_t sent = 0;
  EXPECT_EQ(run_to_completion(scheduler, serve(&listener, &sent)),
            "with_deadline: deadline passed");
  EXPECT_GT(sent, 0U);
  EXPECT_LT(sent, total);
  EXPECT_EQ(peer.recv_until_eof().size(), sent);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Cancellation, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet
