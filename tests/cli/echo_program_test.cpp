// tasknet-echo as a process: the nc session, the listening line, port in use, bad options, and
// SIGTERM. The binary's path comes from CMake.
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "blocking_client.hpp"
#include "process.hpp"
#include "process_cpu.hpp"
#include "tasknet/net/tcp_listener.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using testing::BlockingClient;
using testing::Process;

const std::string program = TASKNET_ECHO_PATH;
const std::string bench = TASKNET_BENCH_PATH;

/// Starts tasknet-echo on a free port and returns the port it prints.
std::uint16_t start_and_read_port(Process& process, std::string* line = nullptr) {
  const std::optional<std::string> first = process.read_stdout_line(10s);
  if (!first) throw std::runtime_error("tasknet-echo printed no listening line");
  std::smatch match;
  if (!std::regex_match(*first, match,
                        std::regex(R"(Listening on 127\.0\.0\.1:(\d+) \(backend \w+\))"))) {
    throw std::runtime_error("unexpected first line: " + *first);
  }
  if (line != nullptr) *line = *first;
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

TEST(EchoProgram, ANcStyleSession) {
  Process server({program, "--host", "127.0.0.1", "--port", "0"});
  const std::uint16_t port = start_and_read_port(server);
  {
    BlockingClient client(port);
    client.send_all("Hello\n");
    EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
    client.send_all("World\n");
    EXPECT_EQ(client.recv_exactly(10), "GOT:World\n");
  }
  const auto from = server.read_stdout_line(5s);
  ASSERT_TRUE(from);
  EXPECT_TRUE(std::regex_match(*from, std::regex(R"(Connection from 127\.0\.0\.1:\d+)"))) << *from;
  EXPECT_EQ(server.read_stdout_line(5s), "Connection closed");
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
}

TEST(EchoProgram, PortZeroPrintsTheAddressItListensOn) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--backend", "poll"});
  std::string line;
  const std::uint16_t port = start_and_read_port(server, &line);
  EXPECT_NE(port, 0);
  EXPECT_NE(line.find("(backend poll)"), std::string::npos);
  server.send_signal(SIGINT);
  EXPECT_EQ(server.wait(10s), 0);
}

TEST(EchoProgram, APortInUseIsOneLineAndExitOne) {
  TcpListener taken = TcpListener::bind(Address::ipv4_loopback(0));
  const std::string port = std::to_string(taken.local_address().port());
  std::string out;
  std::string err;
  EXPECT_EQ(testing::run_program({program, "--host", "127.0.0.1", "--port", port}, &out, &err), 1);
  EXPECT_EQ(err, "tasknet-echo: bind 127.0.0.1:" + port + ": Address already in use\n");
}

TEST(EchoProgram, ABadOptionIsOneLineAndExitTwo) {
  std::string err;
  EXPECT_EQ(testing::run_program({program, "--port", "99999"}, nullptr, &err), 2);
  EXPECT_EQ(err, "tasknet-echo: --port: Value 99999 not in range 0 to 65535\n");
  EXPECT_EQ(testing::run_program({program, "--frobnicate"}, nullptr, &err), 2);
  EXPECT_EQ(err, "tasknet-echo: The following argument was not expected: --frobnicate\n");
}

TEST(EchoProgram, TheUringBackendServesTheSeedsSession) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--backend", "uring", "--quiet"});
  std::string line;
  const std::uint16_t port = start_and_read_port(server, &line);
  EXPECT_NE(line.find("(backend uring)"), std::string::npos) << line;
  {
    BlockingClient client(port);
    client.send_all("Hello\n");
    EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
  }
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  EXPECT_EQ(server.stderr_text(), "");
}

// Where io_uring is refused (a seccomp filter here; kernel.io_uring_disabled or an old kernel
// elsewhere), asking for it is one clear line and exit 1, and the default falls back to epoll.
TEST(EchoProgram, WithoutIoUringAskingForItIsOneLineAndTheDefaultIsEpoll) {
  const std::string without = TASKNET_WITHOUT_IO_URING_PATH;
  std::string err;
  EXPECT_EQ(
      testing::run_program({without, program, "--port", "0", "--backend", "uring"}, nullptr, &err),
      1);
  EXPECT_EQ(err,
            "tasknet-echo: cannot set up io_uring (io_uring_setup): Operation not permitted\n");

  Process server({without, program, "--host", "127.0.0.1", "--port", "0", "--quiet"});
  std::string line;
  const std::uint16_t port = start_and_read_port(server, &line);
  EXPECT_NE(line.find("(backend epoll)"), std::string::npos) << line;
  {
    BlockingClient client(port);
    client.send_all("x");
    EXPECT_EQ(client.recv_exactly(5), "GOT:x");
  }
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
}

TEST(EchoProgram, SigtermClosesConnectionsAndExitsZero) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet"});
  const std::uint16_t port = start_and_read_port(server);
  BlockingClient client(port);
  client.send_all("x");
  EXPECT_EQ(client.recv_exactly(5), "GOT:x");
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  EXPECT_EQ(client.recv_until_eof(), "");  // the server closed the connection
  EXPECT_EQ(server.stderr_text(), "");
}

TEST(EchoProgram, OutOfDescriptorsItBacksOffAndServesAgainWhenTheyFree) {
  // 18 descriptors: stdio, the signalfd and the supervisor's eventfd, the worker's epoll,
  // eventfd and listener leave room for 10 clients.
  Process server(
      {"/bin/sh", "-c", "ulimit -n 18 && exec " + program + " --host 127.0.0.1 --port 0 --quiet"});
  const std::uint16_t port = start_and_read_port(server);
  std::vector<BlockingClient> clients;
  for (int i = 0; i < 16; ++i)
    clients.emplace_back(port, false, 10);  // the kernel completes them all
  for (int i = 0; i < 8; ++i) {
    clients[i].send_all("x");
    EXPECT_EQ(clients[i].recv_exactly(5), "GOT:x");
  }
  for (int i = 8; i < 16; ++i) clients[i].send_all("y");  // some of these cannot be accepted now

  const auto before = bench::process_cpu_time(server.pid()).value();
  // Wait while draining its output: a server blocked on a full stderr pipe would look idle.
  EXPECT_EQ(server.wait(1500ms), std::nullopt);
  const auto spent = bench::process_cpu_time(server.pid()).value() - before;
  EXPECT_LT(spent, 150ms) << "CPU spent in 1.5 s while out of descriptors: " << spent.count()
                          << " ns";

  clients.erase(clients.begin(), clients.begin() + 8);  // free descriptors
  for (BlockingClient& client : clients) EXPECT_EQ(client.recv_exactly(5), "GOT:y");
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  // Logged once per episode, however many accepts failed in it, and each episode's end said.
  const std::string& log = server.stderr_text();
  const std::regex started("accept: Too many open files; backing off until accepting works again");
  const std::regex ended(R"(accepting again after (\d+) failed attempts)");
  const auto episodes =
      std::distance(std::sregex_iterator(log.begin(), log.end(), started), std::sregex_iterator());
  long failed_attempts = 0;
  long ends = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), ended); it != std::sregex_iterator();
       ++it, ++ends) {
    failed_attempts += std::stol((*it)[1]);
  }
  EXPECT_GE(episodes, 1) << log;
  EXPECT_EQ(ends, episodes) << log;
  EXPECT_GT(failed_attempts, episodes) << "one line per failed accept, not per episode:\n" << log;
}

TEST(BenchProgram, MeasuresTheEchoServerWithEveryByteChecked) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet"});
  const std::string port = std::to_string(start_and_read_port(server));
  std::string out;
  std::string err;
  const auto code = testing::run_program(
      {bench, "127.0.0.1:" + port, "--prefix", "GOT:", "-c", "8", "-P", "4", "-m", "3000", "-d",
       "0.5", "--warmup", "0.2", "--json", "--server-pid", std::to_string(server.pid())},
      &out, &err, 20s);
  EXPECT_EQ(code, 0) << err;
  EXPECT_NE(out.find("\"errors\":0,"), std::string::npos) << out;
  std::smatch requests;
  ASSERT_TRUE(std::regex_search(out, requests, std::regex(R"("requests":(\d+))"))) << out;
  EXPECT_GT(std::stol(requests[1]), 100);
  EXPECT_TRUE(std::regex_search(out, std::regex(R"("server_cpu_us_per_request":[0-9.]+)"))) << out;
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
}

TEST(BenchProgram, AWrongPrefixIsReportedAsErrors) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--prefix", "OK:"});
  const std::string port = std::to_string(start_and_read_port(server));
  std::string out;
  const auto code = testing::run_program({bench, "127.0.0.1:" + port, "--prefix", "GOT:", "-c", "2",
                                          "-d", "0.3", "--warmup", "0", "--quiet"},
                                         &out, nullptr, 20s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("expected the prefix"), std::string::npos) << out;
}

TEST(BenchProgram, ARefusedConnectionIsAClearErrorNotAHang) {
  std::uint16_t closed_port = 0;
  {
    TcpListener listener = TcpListener::bind(Address::ipv4_loopback(0));
    closed_port = listener.local_address().port();
  }
  std::string out;
  const auto code = testing::run_program(
      {bench, "127.0.0.1:" + std::to_string(closed_port), "-c", "3", "-d", "5", "--quiet"}, &out,
      nullptr, 20s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("Connection refused"), std::string::npos) << out;
}

TEST(BenchProgram, BadOptionsAreOneLineAndExitTwo) {
  std::string err;
  EXPECT_EQ(testing::run_program({bench, "-c", "0"}, nullptr, &err), 2);
  EXPECT_EQ(err, "tasknet-bench: --connections: Value 0 not in range 1 to 100000\n");
  EXPECT_EQ(testing::run_program({bench, "-P", "1024", "-m", "65536"}, nullptr, &err), 2);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(testing::run_program({bench, "nonsense"}, nullptr, &err), 2);
  EXPECT_TRUE(err.starts_with("tasknet-bench: target: ")) << err;
  // Found by bench_options_fuzz: CLI::Range lets NaN through.
  EXPECT_EQ(testing::run_program({bench, "-d", "nan"}, nullptr, &err), 2);
  EXPECT_EQ(err, "tasknet-bench: --duration: Value nan not in range 0.1 to 3600\n");
}

TEST(EchoProgram, Sigusr1AndStatsPrintStatistics) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--stats"});
  const std::uint16_t port = start_and_read_port(server);
  {
    BlockingClient client(port);
    client.send_all("12345");
    EXPECT_EQ(client.recv_exactly(9), "GOT:12345");
    // The line arrives on stderr while the client is still open. It is read on the main thread
    // while the worker counts on its own: the reply may be on the wire a moment before it is
    // counted, so ask again until the count has caught up.
    const std::string expected = "stats: open 1, accepted 1, bytes in 5, bytes out 9;";
    for (int i = 0; i < 100 && server.stderr_text().find(expected) == std::string::npos; ++i) {
      server.send_signal(SIGUSR1);
      server.wait(20ms);
    }
    EXPECT_NE(server.stderr_text().find(expected), std::string::npos) << server.stderr_text();
  }
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  const std::string& log = server.stderr_text();
  EXPECT_NE(log.rfind("stats: open 0, accepted 1, bytes in 5, bytes out 9; errors: over limit 0, "
                      "idle timeout 0, dead peer 0, reset 0, other 0, accept failures 0\n"),
            std::string::npos)
      << log;
}

/// Sends `total` bytes of 'x' as fast as the server takes them, from its own thread, until done
/// or the connection fails (the server may close it): a client that writes without reading.
std::jthread flood(BlockingClient* client, std::size_t total) {
  return std::jthread([client, total] {
    const std::string chunk(64 * 1024, 'x');
    try {
      for (std::size_t sent = 0; sent < total; sent += chunk.size()) client->send_all(chunk);
    } catch (const std::exception&) {
      // closed by the server, or timed out: either ends the flood
    }
  });
}

/// Ends a flood: shutdown() wakes the sender from a blocked send, and only once it has finished
/// is the client reset (closing it under the sender would race on its descriptor).
void stop_flood(BlockingClient& client, std::jthread& sender) {
  ::shutdown(client.fd(), SHUT_RDWR);
  sender.join();
  client.reset();
}

TEST(EchoProgram, GracefulShutdownClosesIdleClientsAndLetsExchangesFinish) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--stats",
                  "--shutdown-timeout", "10"});
  const std::uint16_t port = start_and_read_port(server);
  BlockingClient idle(port);
  BlockingClient busy(port, false, 5);
  // More than both sides' socket buffers can hold (they autotune to megabytes on loopback), so
  // the server is surely blocked sending replies: mid-exchange.
  std::jthread sender = flood(&busy, 256 << 20);
  std::this_thread::sleep_for(300ms);

  server.send_signal(SIGTERM);
  EXPECT_EQ(idle.recv_until_eof(), "");  // nothing under way: closed at once
  std::this_thread::sleep_for(100ms);
  EXPECT_THROW(BlockingClient late(port), std::system_error);  // no longer accepting
  // An exchange is under way (its replies wait for the busy client to read): the server waits.
  EXPECT_EQ(server.wait(300ms), std::nullopt) << "exited without letting the exchange finish";

  // The busy client now reads: every reply the server started comes whole, then end of stream.
  const std::string replies = busy.recv_until_eof();  // end of stream comes after every reply
  sender.join();
  busy.shutdown_write();  // the server discards input until the client closes: now it may go
  std::size_t payload = 0;
  for (std::size_t at = 0; at < replies.size();) {
    ASSERT_EQ(replies.compare(at, 4, "GOT:"), 0) << "reply broken at byte " << at;
    const std::size_t next = std::min(replies.find("GOT:", at + 4), replies.size());
    ASSERT_LE(next - at - 4, 1000U);
    ASSERT_EQ(replies.find_first_not_of('x', at + 4),
              next == replies.size() ? std::string::npos : next);
    payload += next - at - 4;
    at = next;
  }
  EXPECT_GT(payload, 0U);
  EXPECT_EQ(server.wait(10s), 0);
  // Every reply the server finished arrived, and nothing it had not finished: no reply was cut.
  std::smatch sent;
  ASSERT_TRUE(std::regex_search(server.stderr_text(), sent, std::regex(R"(bytes out (\d+);)")))
      << server.stderr_text();
  EXPECT_EQ(std::stoull(sent[1]), replies.size());
}

TEST(EchoProgram, GracefulShutdownClosesWhatIsLeftAtTheDeadline) {
  Process server(
      {program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--shutdown-timeout", "0.5"});
  const std::uint16_t port = start_and_read_port(server);
  BlockingClient stuck(port, false, 5);  // never reads its replies
  std::jthread sender = flood(&stuck, 8 << 20);
  std::this_thread::sleep_for(300ms);
  const auto signalled = std::chrono::steady_clock::now();
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  const auto took = std::chrono::steady_clock::now() - signalled;
  EXPECT_GE(took, 400ms);  // it did wait for the exchange...
  EXPECT_LT(took, 5s);     // ...but not past the deadline by much
  stop_flood(stuck, sender);
}

TEST(EchoProgram, ASecondSignalExitsAtOnce) {
  Process server(
      {program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--shutdown-timeout", "60"});
  const std::uint16_t port = start_and_read_port(server);
  BlockingClient stuck(port, false, 5);
  std::jthread sender = flood(&stuck, 8 << 20);
  std::this_thread::sleep_for(300ms);
  server.send_signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  const auto second = std::chrono::steady_clock::now();
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - second, 2s);
  stop_flood(stuck, sender);
}

TEST(EchoProgram, AnEchoSessionUnderValgrindHasNoErrorsAndNoLeaks) {
#ifndef TASKNET_VALGRIND_PATH
  GTEST_SKIP() << "valgrind runs only in builds without sanitizers, where it is installed";
#else
  Process server({TASKNET_VALGRIND_PATH, "--error-exitcode=99", "--leak-check=full",
                  "--show-leak-kinds=definite,indirect",
                  "--errors-for-leak-kinds=definite,indirect", "-q", program, "--host", "127.0.0.1",
                  "--port", "0", "--quiet", "--stats", "--idle-timeout", "5", "--shutdown-timeout",
                  "5"});
  const std::uint16_t port = start_and_read_port(server);
  {
    BlockingClient talker(port, false, 30);
    BlockingClient resetter(port, false, 30);
    BlockingClient half_closer(port, false, 30);
    talker.send_all("Hello\n");
    EXPECT_EQ(talker.recv_exactly(10), "GOT:Hello\n");
    const std::string big(200 * 1000, 'b');  // many runs, each with its prefix
    talker.send_all(big);
    EXPECT_EQ(talker.recv_exactly(200 * 1004).size(), 200U * 1004);
    resetter.send_all("bye");
    resetter.reset();
    half_closer.send_all("last");
    half_closer.shutdown_write();
    EXPECT_EQ(half_closer.recv_until_eof(), "GOT:last");
  }
  BlockingClient open_at_exit(port, false, 30);  // closed by the shutdown, not by the client
  open_at_exit.send_all("x");
  EXPECT_EQ(open_at_exit.recv_exactly(5), "GOT:x");
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(60s), 0) << "valgrind reported:\n" << server.stderr_text();
  EXPECT_EQ(server.stderr_text().find("=="), std::string::npos) << server.stderr_text();
#endif
}

/// CPU time of each thread of `pid` named echo-worker, from /proc/PID/task/TID/schedstat.
std::vector<long long> worker_thread_cpu_ns(pid_t pid) {
  std::vector<long long> cpu;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task/";
  for (const auto& entry : std::filesystem::directory_iterator(tasks)) {
    std::string name;
    std::getline(std::ifstream(entry.path() / "comm"), name);
    if (name != "echo-worker") continue;  // the supervising thread, or a sanitizer's
    std::ifstream schedstat(entry.path() / "schedstat");
    long long ns = 0;
    schedstat >> ns;
    cpu.push_back(ns);
  }
  return cpu;
}

TEST(EchoProgram, ThreadsShareTheConnectionsAndTheirStatisticsAndStopTogether) {
  Process server({program, "--host", "127.0.0.1", "--port", "0", "--quiet", "--stats", "--threads",
                  "2", "--shutdown-timeout", "5"});
  const std::optional<std::string> first = server.read_stdout_line(10s);
  std::smatch match;
  ASSERT_TRUE(first && std::regex_match(*first, match,
                                        std::regex(R"(Listening on 127\.0\.0\.1:(\d+) )"
                                                   R"(\(backend epoll, 2 threads\))")))
      << first.value_or("(nothing)");
  const auto port = static_cast<std::uint16_t>(std::stoi(match[1]));
  {
    std::vector<BlockingClient> clients;
    for (int i = 0; i < 40; ++i) clients.emplace_back(port);
    for (int round = 0; round < 50; ++round) {
      for (BlockingClient& client : clients) {
        client.send_all("ping");
        ASSERT_EQ(client.recv_exactly(8), "GOT:ping");
      }
    }
    // Every worker served some of them: the kernel spread the connections (the chance that
    // SO_REUSEPORT's hash sends all 40 to one of two listeners is 2^-39).
    const std::vector<long long> cpu = worker_thread_cpu_ns(server.pid());
    ASSERT_EQ(cpu.size(), 2U);
    for (const long long ns : cpu) EXPECT_GT(ns, 1'000'000) << "a worker thread did no work";
    server.send_signal(SIGUSR1);  // summed over both threads
    for (int i = 0; i < 100 && server.stderr_text().find("stats:") == std::string::npos; ++i) {
      server.wait(20ms);
    }
    // The workers count on their own threads while this line is read on another: a reply
    // already received may not be counted yet. Exact totals come at exit.
    EXPECT_NE(server.stderr_text().find("stats: open 40, accepted 40, bytes in 8000, bytes out "),
              std::string::npos)
        << server.stderr_text();
    server.send_signal(SIGTERM);  // both threads drain: idle clients are closed at once
    for (BlockingClient& client : clients) EXPECT_EQ(client.recv_until_eof(), "");
  }
  EXPECT_EQ(server.wait(10s), 0);
  EXPECT_NE(server.stderr_text().rfind("stats: open 0, accepted 40, bytes in 8000, bytes out "
                                       "16000;"),
            std::string::npos)
      << server.stderr_text();
}

TEST(EchoProgram, HelpAndVersionExitZero) {
  std::string out;
  EXPECT_EQ(testing::run_program({program, "--help"}, &out, nullptr), 0);
  EXPECT_NE(out.find("--backend"), std::string::npos);
  EXPECT_EQ(testing::run_program({program, "--version"}, &out, nullptr), 0);
  EXPECT_TRUE(out.starts_with("tasknet-echo ")) << out;
}

}  // namespace
}  // namespace tasknet
