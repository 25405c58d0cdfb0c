// CPU time a process has used (user + system, all its threads), read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace tasknet::bench {

/// Nanosecond-precise from /proc/PID/task/*/schedstat where the kernel offers it, otherwise
/// /proc/PID/stat in clock ticks. nullopt when the process cannot be read.
std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid);

}  // namespace tasknet::bench
