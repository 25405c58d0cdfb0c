// The load: `connections` tasks, each keeping `pipeline` requests in flight and checking every
// reply byte, on one tasknet scheduler; and a clock task that warms up, measures and stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "bench_options.hpp"
#include "latency_recorder.hpp"
#include "payload.hpp"
#include "tasknet/clock.hpp"
#include "tasknet/task.hpp"

namespace tasknet::bench {

struct RunResult {
  std::uint64_t requests = 0;  ///< completed inside the measured window
  double seconds = 0;          ///< the measured window
  std::uint64_t payload_bytes = 0;
  LatencySummary latency;
  std::uint64_t errors = 0;
  std::vector<std::string> first_errors;  ///< the first few, word for word
  std::optional<double> server_cpu_us_per_request;

  [[nodiscard]] double requests_per_second() const { return seconds > 0 ? requests / seconds : 0; }
};

class LoadGenerator {
 public:
  explicit LoadGenerator(BenchOptions options);
  /// Runs the whole benchmark and returns what it measured. Throws std::system_error if the
  /// scheduler cannot be set up.
  RunResult run();

 private:
  Task<void> connection(std::size_t id);
  Task<void> clock();
  void fail(std::string message);
  void print_progress(double elapsed_s, std::uint64_t requests_in_second) const;

  BenchOptions options_;
  PayloadPattern pattern_;
  std::stop_source stop_;
  bool measuring_ = false;
  bool live_progress_ = false;
  std::size_t connections_alive_ = 0;
  std::uint64_t completed_total_ = 0;  // for progress, warm-up included
  std::uint64_t completed_measured_ = 0;
  LatencyRecorder latencies_;
  RunResult result_;
};

}  // namespace tasknet::bench
