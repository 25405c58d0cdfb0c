// tasknet-bench's summary, for people and as one JSON object.
#pragma once

#include <iosfwd>

#include "bench_options.hpp"
#include "load_generator.hpp"

namespace tasknet::bench {

void print_summary(std::ostream& out, const BenchOptions& options, const RunResult& result);
void print_json(std::ostream& out, const BenchOptions& options, const RunResult& result);

}  // namespace tasknet::bench
