// tasknet-echo's option parsing, in-process: defaults, values, and one-line errors with exit 2.
#include "command_line.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace tasknet::echo {
namespace {

struct Parsed {
  std::variant<CommandLine, int> result;
  std::string out;
  std::string err;
};

Parsed parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tasknet-echo");
  std::ostringstream out;
  std::ostringstream err;
  auto result = parse_command_line(static_cast<int>(args.size()), args.data(), out, err);
  return {std::move(result), out.str(), err.str()};
}

TEST(EchoCommandLine, DefaultsAreTheSeeds) {
  const Parsed parsed = parse({});
  ASSERT_TRUE(std::holds_alternative<CommandLine>(parsed.result));
  const auto& options = std::get<CommandLine>(parsed.result);
  EXPECT_EQ(options.listen_on.to_string(), "0.0.0.0:25000");
  EXPECT_EQ(options.prefix, "GOT:");
  EXPECT_EQ(options.recv_size, 1000U);
  EXPECT_EQ(options.backend, Backend::epoll);
  EXPECT_FALSE(options.quiet);
  EXPECT_EQ(options.threads, 1U);
  EXPECT_EQ(options.keepalive_s, 60);  // a vanished peer is found after about two minutes
}

TEST(EchoCommandLine, TakesEveryOption) {
  const Parsed parsed = parse(
      {"--host", "::1",       "--port",    "0",       "--prefix",          "",  "--recv-size",
       "65536",  "--backend", "select",    "--quiet", "--max-connections", "7", "--idle-timeout",
       "2.5",    "--stats",   "--threads", "0",       "--keepalive",       "0"});
  ASSERT_TRUE(std::holds_alternative<CommandLine>(parsed.result)) << parsed.err;
  const auto& options = std::get<CommandLine>(parsed.result);
  EXPECT_EQ(options.listen_on.to_string(), "[::1]:0");
  EXPECT_EQ(options.prefix, "");
  EXPECT_EQ(options.recv_size, 65536U);
  EXPECT_EQ(options.backend, Backend::select);
  EXPECT_TRUE(options.quiet);
  EXPECT_EQ(options.max_connections, 7U);
  EXPECT_DOUBLE_EQ(options.idle_timeout_s, 2.5);
  EXPECT_TRUE(options.stats);
  EXPECT_EQ(options.threads, 0U);  // one per online CPU
  EXPECT_EQ(options.keepalive_s, 0);
}

TEST(EchoCommandLine, BadValuesAreOneLineAndExitTwo) {
  const std::vector<std::vector<const char*>> bad = {
      {"--port", "70000"},
      {"--port", "x"},
      {"--recv-size", "0"},
      {"--backend", "kqueue"},
      {"--bogus"},
      {"--host", "a b"},
      {"stray"},
      {"--port"},
      {"--idle-timeout", "nan"},  // found by bench_options_fuzz in its twin, tasknet-bench -d
      {"--shutdown-timeout", "-1"},
      {"--threads", "2000"},
      {"--threads", "-1"},
      {"--keepalive", "-1"},
      {"--keepalive", "40000"},  // past what TCP_KEEPIDLE takes
      {"--keepalive", "1.5"},    // whole seconds, as the kernel counts them
  };
  for (const auto& args : bad) {
    const Parsed parsed = parse(args);
    ASSERT_TRUE(std::holds_alternative<int>(parsed.result)) << args[0];
    EXPECT_EQ(std::get<int>(parsed.result), 2) << args[0];
    EXPECT_TRUE(parsed.err.starts_with("tasknet-echo: ")) << parsed.err;
    EXPECT_EQ(std::count(parsed.err.begin(), parsed.err.end(), '\n'), 1) << parsed.err;
    EXPECT_TRUE(parsed.out.empty());
  }
}

TEST(EchoCommandLine, ArgumentsHoldingNewlinesStillMakeOneLineErrors) {
  // Found by echo_options_fuzz: CLI11 quotes unexpected arguments as they are.
  const Parsed stray = parse({"-rfff", "-(-\n"});
  EXPECT_EQ(std::get<int>(stray.result), 2);
  EXPECT_EQ(std::count(stray.err.begin(), stray.err.end(), '\n'), 1) << stray.err;
  EXPECT_NE(stray.err.find("-(-\\n"), std::string::npos) << stray.err;  // shown escaped
  const Parsed host = parse({"--host", "a\nb\x01"});
  EXPECT_EQ(std::get<int>(host.result), 2);
  EXPECT_EQ(host.err, "tasknet-echo: --host: invalid host 'a\\nb\\x01'\n");
}

TEST(EchoCommandLine, HelpAndVersionExitZero) {
  const Parsed help = parse({"--help"});
  EXPECT_EQ(std::get<int>(help.result), 0);
  EXPECT_NE(help.out.find("--recv-size"), std::string::npos);
  const Parsed version = parse({"--version"});
  EXPECT_EQ(std::get<int>(version.result), 0);
  EXPECT_TRUE(version.out.starts_with("tasknet-echo ")) << version.out;
}

}  // namespace
}  // namespace tasknet::echo
