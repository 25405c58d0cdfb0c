// Request latencies of a run, kept whole (a few bytes each) so percentiles are exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace tasknet::bench {

struct LatencySummary {
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
};

class LatencyRecorder {
 public:
  void record(std::chrono::nanoseconds latency) {
    samples_.push_back(static_cast<std::uint32_t>(
        std::min<std::int64_t>(latency.count(), UINT32_MAX)));  // caps at 4.29 s
  }
  void clear() noexcept { samples_.clear(); }
  [[nodiscard]] std::size_t count() const noexcept { return samples_.size(); }
  void merge(const LatencyRecorder& other) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  }

  /// Exact percentiles (nearest rank). Reorders the samples.
  [[nodiscard]] LatencySummary summarize();

 private:
  std::vector<std::uint32_t> samples_;
};

}  // namespace tasknet::bench
