// Fuzzes tasknet-bench's command line, with the same promises as tasknet-echo's.
#include <cmath>
#include <sstream>

#include "bench_options.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tasknet;
  const fuzz::Arguments arguments("tasknet-bench", data, size);
  std::ostringstream out;
  std::ostringstream err;
  const auto parsed = bench::parse_bench_options(arguments.argc(), arguments.argv(), out, err);
  if (const int* code = std::get_if<int>(&parsed)) {
    fuzz::expect_proper_exit("tasknet-bench", *code, out.str(), err.str());
    return 0;
  }
  const bench::BenchOptions& options = std::get<bench::BenchOptions>(parsed);
  if (options.connections < 1 || options.pipeline < 1 || options.message_size < 1 ||
      options.pipeline * options.message_size > bench::max_bytes_in_flight) {
    fuzz::violated("load options out of range", std::to_string(options.connections));
  }
  for (const double seconds : {options.duration_s, options.warmup_s, options.connect_timeout_s}) {
    if (!std::isfinite(seconds) || seconds < 0) {
      fuzz::violated("a time that is negative or not finite", std::to_string(seconds));
    }
  }
  return 0;
}
