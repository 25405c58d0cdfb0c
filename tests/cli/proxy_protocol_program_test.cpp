// tasknet-echo --proxy-protocol as a process: clients behind a balancer (a v1 or a v2 header
// before their bytes) are echoed and logged under the address the header claims; a client
// without a header, and a peer outside --proxy-protocol-from, are closed without a reply; bad
// option values are one line and exit 2.
#include <signal.h>

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "blocking_client.hpp"
#include "process.hpp"

namespace tasknet {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::BlockingClient;
using testing::Process;

const std::string program = TASKNET_ECHO_PATH;

/// Starts tasknet-echo on a free loopback port with `options` and returns the port it prints.
std::uint16_t start(Process& server) {
  const std::optional<std::string> first = server.read_stdout_line(10s);
  if (!first) throw std::runtime_error("tasknet-echo printed no listening line");
  std::smatch match;
  if (!std::regex_match(*first, match, std::regex(R"(Listening on [^ ]+:(\d+) \(backend \w+\))"))) {
    throw std::runtime_error("unexpected first line: " + *first);
  }
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::vector<std::string> with_proxy_protocol(std::vector<std::string> more = {}) {
  std::vector<std::string> argv{program, "--host", "127.0.0.1", "--port", "0", "--proxy-protocol"};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

/// Whether the server closed the connection without sending a byte: end of stream, or a reset
/// (a socket closed with the client's bytes unread resets the connection).
bool closed_without_reply(BlockingClient& client) {
  try {
    return client.recv_until_eof().empty();
  } catch (const std::system_error& error) {
    return error.code() == std::errc::connection_reset;
  }
}

void stop(Process& server) {
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0);
}

TEST(EchoProxyProtocol, AV1ClientIsEchoedAndLoggedUnderItsClaimedAddress) {
  Process server(with_proxy_protocol());
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  client.send_all("PROXY TCP4 203.0.113.9 127.0.0.1 40000 25000\r\nHello\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
  // Logged as the connection opens, not when it closes.
  EXPECT_EQ(server.read_stdout_line(5s), "Connection from 203.0.113.9:40000");
  client.send_all("World\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:World\n");
  stop(server);
}

TEST(EchoProxyProtocol, AV2ClientIsEchoedAndLoggedUnderItsClaimedAddress) {
  Process server(with_proxy_protocol());
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  // [2001:db8::7]:51000 -> [2001:db8::1]:25000, with an ALPN TLV; then the client's bytes.
  const std::string header =
      "\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x29"s + "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x07"s +
      "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x01"s + "\xC7\x38\x61\xA8"s + "\x01\x00\x02h2"s;
  client.send_all(header + "ping");
  EXPECT_EQ(client.recv_exactly(8), "GOT:ping");
  EXPECT_EQ(server.read_stdout_line(5s), "Connection from [2001:db8::7]:51000");
  stop(server);
}

TEST(EchoProxyProtocol, AHealthCheckWithALocalHeaderIsServedUnderTheRealAddress) {
  Process server(with_proxy_protocol());
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  client.send_all("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00"s + "ok?");
  EXPECT_EQ(client.recv_exactly(7), "GOT:ok?");
  const auto line = server.read_stdout_line(5s);
  ASSERT_TRUE(line);
  EXPECT_TRUE(std::regex_match(*line, std::regex(R"(Connection from 127\.0\.0\.1:\d+)"))) << *line;
  stop(server);
}

TEST(EchoProxyProtocol, AClientWithoutAHeaderIsClosedWithoutAReply) {
  Process server(with_proxy_protocol());
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  client.send_all("Hello\n");
  EXPECT_TRUE(closed_without_reply(client));
  const auto line = server.read_stdout_line(5s);
  ASSERT_TRUE(line);
  EXPECT_TRUE(std::regex_match(
      *line, std::regex(R"(Connection from 127\.0\.0\.1:\d+ refused: PROXY header: not a PROXY )"
                        R"(protocol header)")))
      << *line;
  // The server goes on serving.
  BlockingClient next(port);
  next.send_all("PROXY UNKNOWN\r\nstill here");
  EXPECT_EQ(next.recv_exactly(14), "GOT:still here");
  stop(server);
}

TEST(EchoProxyProtocol, APeerOutsideProxyProtocolFromIsClosedWithoutAReply) {
  Process server(with_proxy_protocol({"--proxy-protocol-from", "10.0.0.0/8,2001:db8::/32"}));
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  client.send_all("PROXY TCP4 203.0.113.9 127.0.0.1 40000 25000\r\nHello\n");
  EXPECT_TRUE(closed_without_reply(client));
  const auto line = server.read_stdout_line(5s);
  ASSERT_TRUE(line);
  EXPECT_TRUE(std::regex_match(
      *line,
      std::regex(R"(Connection from 127\.0\.0\.1:\d+ refused: not in --proxy-protocol-from)")))
      << *line;
  stop(server);
}

TEST(EchoProxyProtocol, APeerInsideProxyProtocolFromIsServed) {
  Process server(with_proxy_protocol({"--proxy-protocol-from", "192.0.2.0/24,127.0.0.0/8"}));
  const std::uint16_t port = start(server);
  BlockingClient client(port);
  client.send_all("PROXY TCP4 203.0.113.9 127.0.0.1 40000 25000\r\nHello\n");
  EXPECT_EQ(client.recv_exactly(10), "GOT:Hello\n");
  EXPECT_EQ(server.read_stdout_line(5s), "Connection from 203.0.113.9:40000");
  stop(server);
}

TEST(EchoProxyProtocol, BadOptionValuesAreOneLineAndExitTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--proxy-protocol", "--proxy-protocol-from", "10.0.0.0/33"},
       "tasknet-echo: --proxy-protocol-from: invalid CIDR '10.0.0.0/33': prefix length must be 0 "
       "to 32\n"},
      {{"--proxy-protocol", "--proxy-protocol-from", "10.0.0.1/8"},
       "tasknet-echo: --proxy-protocol-from: invalid CIDR '10.0.0.1/8': bits are set past the "
       "prefix (the network is 10.0.0.0/8)\n"},
      {{"--proxy-protocol", "--proxy-protocol-from", "10.0.0.0/8,,::1"},
       "tasknet-echo: --proxy-protocol-from: empty item in '10.0.0.0/8,,::1'\n"},
      {{"--proxy-protocol", "--proxy-protocol-from", "localhost"},
       "tasknet-echo: --proxy-protocol-from: invalid CIDR 'localhost': expected an IPv4 or IPv6 "
       "address, then /PREFIX\n"},
      {{"--proxy-protocol", "--proxy-protocol-from", "::1/129"},
       "tasknet-echo: --proxy-protocol-from: invalid CIDR '::1/129': prefix length must be 0 to "
       "128\n"},
  };
  for (const auto& [options, expected] : cases) {
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), options.begin(), options.end());
    std::string out;
    std::string err;
    EXPECT_EQ(testing::run_program(argv, &out, &err), 2) << expected;
    EXPECT_EQ(err, expected);
    EXPECT_EQ(out, "");
  }
  // Without --proxy-protocol, a list of balancers means nothing: refused, in one line.
  std::string out;
  std::string err;
  EXPECT_EQ(testing::run_program({program, "--proxy-protocol-from", "10.0.0.0/8"}, &out, &err), 2);
  EXPECT_TRUE(err.starts_with("tasknet-echo: ")) << err;
  EXPECT_NE(err.find("--proxy-protocol"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

}  // namespace
}  // namespace tasknet
