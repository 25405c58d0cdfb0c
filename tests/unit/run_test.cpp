// tasknet::run: the main task on a scheduler of its own, its value or its exception, and the end
// of the program when it ends.
#include "tasknet/run.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "backends.hpp"
#include "counted.hpp"
#include "tasknet/net/connect_operation.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/time.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;

Task<int> answer() {
  co_await sleep_for(1ms);
  co_return 42;
}

TEST(Run, ReturnsTheMainTasksValue) {
  EXPECT_EQ(run(answer()), 42);
}

TEST(Run, RethrowsTheMainTasksException) {
  auto failing = []() -> Task<void> {
    co_await sleep_for(1ms);
    throw std::runtime_error("it broke");
  };
  EXPECT_THROW(
      {
        try {
          run(failing());
        } catch (const std::runtime_error& error) {
          EXPECT_STREQ(error.what(), "it broke");
          throw;
        }
      },
      std::runtime_error);
}

Task<void> sleep_for_an_hour() {
  const testing::Counted witness;  // its destruction shows the frame's
  co_await sleep_for(std::chrono::hours(1));
}

// As with asyncio.run, the program ends with its main task; what it left running goes.
TEST(Run, EndsWhenTheMainTaskDoesAndDestroysWhatIsLeft) {
  testing::Counted::reset();
  auto main_task = []() -> Task<std::string> {
    Scheduler& scheduler = co_await this_scheduler();
    scheduler.spawn(sleep_for_an_hour());
    co_await sleep_for(1ms);
    co_return "done";
  };
  const TimePoint started = Clock::now();
  EXPECT_EQ(run(main_task()), "done");
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_EQ(testing::Counted::constructed, 1);
  EXPECT_EQ(testing::Counted::alive, 0);
}

TEST(Run, ASchedulerStoppedBeforeTheMainTaskEndsIsAnError) {
  auto stops_everything = []() -> Task<int> {
    (co_await this_scheduler()).stop();
    co_await sleep_for(1ms);
    co_return 1;
  };
  EXPECT_THROW(run(stops_everything()), std::logic_error);
}

class RunOn : public ::testing::TestWithParam<Backend> {};

TEST_P(RunOn, TheBackendAsked) {
  auto exchange = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
    Socket client = co_await connect(listener.local_address());
    Accepted accepted = co_await listener.accept();
    co_await client.send_all("over loopback");
    char buffer[32];
    const std::size_t n = co_await accepted.socket.recv(buffer);
    co_return std::string(buffer, n);
  };
  EXPECT_EQ(run(exchange(), {.backend = GetParam()}), "over loopback");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, RunOn, testing::every_backend(), testing::backend_name);

}  // namespace
}  // namespace tasknet
