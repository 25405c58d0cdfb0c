#include "process_cpu.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tasknet::bench {
namespace {

std::optional<std::chrono::nanoseconds> from_schedstat(pid_t pid) {
  std::error_code error;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::int64_t total = 0;
  bool any = false;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream schedstat(entry.path() / "schedstat");
    std::int64_t on_cpu_ns = 0;
    if (schedstat >> on_cpu_ns) {
      total += on_cpu_ns;
      any = true;
    }
  }
  if (error || !any) return std::nullopt;
  return std::chrono::nanoseconds(total);
}

std::optional<std::chrono::nanoseconds> from_stat(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  long long utime = 0;
  long long stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stoll(field);
    if (index == 15) {
      stime = std::stoll(field);
      const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
      return std::chrono::nanoseconds((utime + stime) * 1'000'000'000LL / ticks_per_second);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid) {
  if (auto precise = from_schedstat(pid)) return precise;
  return from_stat(pid);
}

}  // namespace tasknet::bench
