// Fault cases about tasknet-echo's own output: a stdout pipe that nobody reads, one whose reader
// has gone, and `tasknet-echo | head -1`. Logging must never stop the server: not by blocking its
// loops on a full pipe, and not by SIGPIPE.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "blocking_client.hpp"
#include "fault_case.hpp"
#include "fault_client.hpp"
#include "process.hpp"

namespace tasknet::fault {
namespace {

using namespace std::chrono_literals;

/// Enough to fill a pipe's 64 KiB several times over with "Connection from/closed" lines.
constexpr int connections_through_full_stdout = 5'000;

/// One short-lived client: a message naming it, its reply checked, then a reset (which leaves no
/// TIME_WAIT behind for each of thousands). Returns what went wrong, or an empty string.
std::string one_client(std::uint16_t port, int n) {
  const std::string message = "client " + std::to_string(n);
  try {
    testing::BlockingClient client(port, false, 5);
    client.send_all(message);
    const std::string reply = client.recv_exactly(reply_prefix.size() + message.size());
    if (reply != std::string(reply_prefix) + message) return message + " got " + reply;
    client.reset();
    return {};
  } catch (const std::exception& error) {
    return message + ": " + error.what();
  }
}

/// The number of times `text` occurs in `haystack`.
std::size_t occurrences(const std::string& haystack, const std::string& text) {
  std::size_t count = 0;
  for (auto at = haystack.find(text); at != std::string::npos; at = haystack.find(text, at + 1)) {
    ++count;
  }
  return count;
}

class BlockedOutput : public FaultCase {};

TEST_P(BlockedOutput, StdoutThatNobodyReadsStopsNothing) {
  // Two workers: a worker stuck writing must not hold the other one up either.
  EchoUnderTest& server = start({.options = {"--threads", "2"}, .quiet = false});
  // Its "Listening on" line has been read; from here on nobody reads its stdout.
  GoodClients good(server.address(), 5, 4096, 1ms);
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t good_before = good.exchanges();
  for (int n = 0; n < connections_through_full_stdout; ++n) {
    const std::string error = one_client(server.port(), n);
    ASSERT_EQ(error, "") << "after " << n << " connections";
  }
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::uint64_t good_during = good.exchanges() - good_before;
  const Tally tally = good.stop();
  EXPECT_EQ(tally.errors, 0U) << tally.describe();
  EXPECT_GT(good_during, 0U) << "the good clients made no exchange";
  measured(std::to_string(connections_through_full_stdout) + " connections in " +
           one_decimal(took_s) + " s with stdout unread; good clients: " + tally.describe());
  expect_recovered();  // reads its stdout while it waits for the exit
  // Lines past the bound were dropped, and said so once the writer got through.
  EXPECT_NE(server.process().stdout_text().find(" log lines dropped\n"), std::string::npos);
}

TEST_P(BlockedOutput, StdoutWhoseReaderLeftStopsNothing) {
  EchoUnderTest& server = start({.quiet = false});
  server.process().close_stdout();  // its next line meets a pipe without a reader: EPIPE
  for (int n = 0; n < 20; ++n) ASSERT_EQ(one_client(server.port(), n), "");
  expect_recovered();  // SIGTERM still ends it with 0, not 141 (SIGPIPE)
  EXPECT_EQ(occurrences(server.process().stderr_text(), "logging to stdout stopped"), 1U)
      << server.process().stderr_text();
}

/// Waits until the shell's stderr holds `text`, up to `deadline`; whether it does.
bool wait_for_stderr(testing::Process& shell, const std::string& text,
                     std::chrono::steady_clock::time_point deadline) {
  while (shell.stderr_text().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (shell.wait(20ms)) return shell.stderr_text().find(text) != std::string::npos;  // exited
  }
  return true;
}

TEST_P(BlockedOutput, PipedIntoHeadKeepsServingAfterHeadExits) {
  // `tasknet-echo | head -1`, with the server's pid and exit code on the shell's stderr, and
  // a line there once head has gone and its group has closed the pipe's last reader.
  const std::string command =
      std::string("{ ") + TASKNET_ECHO_PATH + " --host 127.0.0.1 --port 0 --backend " +
      std::string(to_string(GetParam())) +
      " & echo \"server pid $!\" >&2; wait $!; echo \"server exit $?\" >&2; }"
      " | { head -1; exec <&-; echo 'head exited' >&2; }";
  testing::Process shell({"/bin/sh", "-c", command});
  const std::optional<std::string> first = shell.read_stdout_line(10s);
  std::smatch match;
  ASSERT_TRUE(first && std::regex_match(*first, match, std::regex(R"(Listening on .*:(\d+) .*)")))
      << first.value_or("(no output)") << " " << shell.stderr_text();
  const auto port = static_cast<std::uint16_t>(std::stoi(match[1]));
  ASSERT_TRUE(wait_for_stderr(shell, "head exited\n", std::chrono::steady_clock::now() + 10s))
      << shell.stderr_text();
  std::smatch pid_match;
  const std::string& err = shell.stderr_text();
  ASSERT_TRUE(std::regex_search(err, pid_match, std::regex(R"(server pid (\d+))"))) << err;
  const pid_t server_pid = std::stoi(pid_match[1]);
  struct KillIfLeft {  // a failed assertion must not leave the server running
    pid_t pid;
    ~KillIfLeft() {
      if (pid > 0) ::kill(pid, SIGKILL);
    }
  } left_over{server_pid};

  // Each connection logs: the first meets the pipe without a reader.
  for (int n = 0; n < 20; ++n) ASSERT_EQ(one_client(port, n), "") << shell.stderr_text();
  EXPECT_EQ(shell.stderr_text().find("server exit"), std::string::npos) << shell.stderr_text();

  ASSERT_EQ(::kill(server_pid, SIGTERM), 0);
  ASSERT_TRUE(wait_for_stderr(shell, "server exit", std::chrono::steady_clock::now() + 15s))
      << shell.stderr_text();
  left_over.pid = 0;  // reaped by the shell
  EXPECT_TRUE(shell.wait(5s).has_value());
  EXPECT_NE(shell.stderr_text().find("server exit 0\n"), std::string::npos) << shell.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BlockedOutput, testing::every_backend(),
                         testing::backend_name);

}  // namespace
}  // namespace tasknet::fault
