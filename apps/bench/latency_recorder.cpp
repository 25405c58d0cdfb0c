#include "latency_recorder.hpp"

#include <algorithm>
#include <cmath>

namespace tasknet::bench {

LatencySummary LatencyRecorder::summarize() {
  LatencySummary summary;
  if (samples_.empty()) return summary;
  std::sort(samples_.begin(), samples_.end());
  const auto at = [this](double quantile) {
    const auto rank =
        static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(samples_.size())));
    return samples_[std::clamp<std::size_t>(rank, 1, samples_.size()) - 1] / 1000.0;
  };
  summary.p50_us = at(0.50);
  summary.p90_us = at(0.90);
  summary.p99_us = at(0.99);
  summary.p999_us = at(0.999);
  summary.max_us = samples_.back() / 1000.0;
  return summary;
}

}  // namespace tasknet::bench
