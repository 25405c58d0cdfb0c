// tasknet-bench: a load generator for echo servers, built on tasknet. Opens -c connections, keeps
// -P requests of -m bytes in flight on each for -d seconds after --warmup, checks that every
// payload byte comes back exactly once and in order, and reports requests/s, latency
// percentiles, errors and, given --server-pid, the server's CPU time per request.
//
// Try it:  tasknet-echo --port 25000 --quiet &   tasknet-bench 127.0.0.1:25000 --prefix GOT:
#include <iostream>

#include "bench_options.hpp"
#include "load_generator.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  using namespace tasknet::bench;
  try {
    auto parsed = parse_bench_options(argc, argv, std::cout, std::cerr);
    if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
    const BenchOptions& options = std::get<BenchOptions>(parsed);

    LoadGenerator generator(options);
    const RunResult result = generator.run();
    if (options.json) {
      print_json(std::cout, options, result);
    } else {
      print_summary(std::cout, options, result);
    }
    if (result.requests == 0 && result.errors == 0) {
      std::cerr << "tasknet-bench: no request completed\n";
    }
    return result.errors > 0 || result.requests == 0 ? 1 : 0;
  } catch (const std::exception& error) {
    std::cerr << "tasknet-bench: " << error.what() << "\n";
    return 1;
  }
}
