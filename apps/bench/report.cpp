#include "report.hpp"

#include <iomanip>
#include <ostream>

namespace tasknet::bench {
namespace {

/// A string as a JSON string literal.
std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

}  // namespace

void print_summary(std::ostream& out, const BenchOptions& options, const RunResult& result) {
  out << std::fixed << std::setprecision(1);
  out << "tasknet-bench: " << options.target.to_string() << ", " << options.connections
      << " connections x " << options.pipeline << " in flight, " << options.message_size
      << "-byte messages, " << result.seconds << " s measured after " << options.warmup_s
      << " s warm-up\n";
  out << "  requests    " << result.requests << " (" << std::setprecision(0)
      << result.requests_per_second() << " req/s)\n";
  out << std::setprecision(2) << "  payload     "
      << static_cast<double>(result.payload_bytes) / 1e6 / (result.seconds > 0 ? result.seconds : 1)
      << " MB/s each way\n";
  out << std::setprecision(0) << "  latency     p50 " << result.latency.p50_us << " us, p90 "
      << result.latency.p90_us << " us, p99 " << result.latency.p99_us << " us, p99.9 "
      << result.latency.p999_us << " us, max " << result.latency.max_us << " us\n";
  out << "  errors      " << result.errors << "\n";
  for (const std::string& error : result.first_errors) out << "    " << error << "\n";
  if (result.server_cpu_us_per_request) {
    out << std::setprecision(2) << "  server CPU  " << *result.server_cpu_us_per_request
        << " us per request (pid " << *options.server_pid << ")\n";
  }
}

void print_json(std::ostream& out, const BenchOptions& options, const RunResult& result) {
  out << std::setprecision(6) << "{\"target\":" << json_string(options.target.to_string())
      << ",\"connections\":" << options.connections << ",\"pipeline\":" << options.pipeline
      << ",\"message_size\":" << options.message_size << ",\"seconds\":" << result.seconds
      << ",\"requests\":" << result.requests
      << ",\"requests_per_s\":" << result.requests_per_second() << ",\"payload_mb_per_s\":"
      << static_cast<double>(result.payload_bytes) / 1e6 / (result.seconds > 0 ? result.seconds : 1)
      << ",\"latency_us\":{\"p50\":" << result.latency.p50_us
      << ",\"p90\":" << result.latency.p90_us << ",\"p99\":" << result.latency.p99_us
      << ",\"p999\":" << result.latency.p999_us << ",\"max\":" << result.latency.max_us
      << "},\"errors\":" << result.errors << ",\"first_errors\":[";
  for (std::size_t i = 0; i < result.first_errors.size(); ++i) {
    out << (i ? "," : "") << json_string(result.first_errors[i]);
  }
  out << "],\"server_cpu_us_per_request\":";
  if (result.server_cpu_us_per_request) {
    out << *result.server_cpu_us_per_request;
  } else {
    out << "null";
  }
  out << "}\n";
}

}  // namespace tasknet::bench
