#include "echo_under_test.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "blocking_client.hpp"
#include "process_cpu.hpp"

namespace tasknet::fault {

namespace {

std::vector<std::string> command_for(const EchoLaunch& launch) {
  const std::string inside =
      launch.network_namespace.empty() ? "" : "ip netns exec " + launch.network_namespace + " ";
  std::string command = "exec " + inside + TASKNET_ECHO_PATH +
                        " --host 127.0.0.1 --port 0 --backend " +
                        std::string(to_string(launch.backend));
  if (launch.quiet) command += " --quiet";
  for (const std::string& option : launch.options) command += " " + option;
  if (launch.descriptor_limit > 0) {
    command = "ulimit -n " + std::to_string(launch.descriptor_limit) + " && " + command;
  }
  return {"/bin/sh", "-c", command};
}

std::string proc_path(pid_t pid, const char* entry) {
  return "/proc/" + std::to_string(pid) + "/" + entry;
}

}  // namespace

EchoUnderTest::EchoUnderTest(const EchoLaunch& launch) : process_(command_for(launch)) {
  const std::optional<std::string> first = process_.read_stdout_line(std::chrono::seconds(10));
  std::smatch match;
  if (!first || !std::regex_match(*first, match, std::regex(R"(Listening on .*:(\d+) .*)"))) {
    process_.wait(std::chrono::seconds(2));
    throw std::runtime_error("tasknet-echo did not start: " + first.value_or("(no output)") + " " +
                             process_.stderr_text());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::size_t EchoUnderTest::open_descriptors() const {
  DIR* directory = ::opendir(proc_path(process_.pid(), "fd").c_str());
  if (directory == nullptr) throw std::runtime_error("cannot read the server's /proc/PID/fd");
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(directory);
  return count;
}

std::size_t EchoUnderTest::resident_kib() const {
  std::ifstream status(proc_path(process_.pid(), "status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  throw std::runtime_error("no VmRSS in the server's /proc/PID/status");
}

std::chrono::nanoseconds EchoUnderTest::cpu_time() const {
  return bench::process_cpu_time(process_.pid()).value();
}

std::size_t EchoUnderTest::settle_descriptors(std::size_t baseline,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t open = open_descriptors();
  while (open != baseline && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    open = open_descriptors();
  }
  return open;
}

std::optional<int> EchoUnderTest::terminate(std::chrono::milliseconds timeout) {
  process_.send_signal(SIGTERM);
  return process_.wait(timeout);
}

std::string check_fresh_client(std::uint16_t port) {
  try {
    testing::BlockingClient client(port, false, 10);
    client.send_all("still there?");
    const std::string reply = client.recv_exactly(16);
    if (reply != "GOT:still there?") return "a fresh client got " + reply;
    return {};
  } catch (const std::exception& error) {
    return std::string("a fresh client failed: ") + error.what();
  }
}

bool raise_descriptor_limit(long wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= static_cast<rlim_t>(wanted)) return true;
  if (limit.rlim_max < static_cast<rlim_t>(wanted)) return false;
  limit.rlim_cur = static_cast<rlim_t>(wanted);
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

}  // namespace tasknet::fault
