// Fuzzes tasknet-echo's command line. Promises: exit 0 with text on stdout, exit 2 with exactly
// one error line, or options inside their documented ranges; never a crash or another exception.
#include <cmath>
#include <sstream>

#include "command_line.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tasknet;
  const fuzz::Arguments arguments("tasknet-echo", data, size);
  std::ostringstream out;
  std::ostringstream err;
  const auto parsed = echo::parse_command_line(arguments.argc(), arguments.argv(), out, err);
  if (const int* code = std::get_if<int>(&parsed)) {
    fuzz::expect_proper_exit("tasknet-echo", *code, out.str(), err.str());
    return 0;
  }
  const echo::CommandLine& line = std::get<echo::CommandLine>(parsed);
  if (line.recv_size < 1 || line.recv_size > echo::max_recv_size) {
    fuzz::violated("--recv-size out of range", std::to_string(line.recv_size));
  }
  for (const double seconds : {line.idle_timeout_s, line.shutdown_timeout_s}) {
    if (!std::isfinite(seconds) || seconds < 0) {
      fuzz::violated("a timeout that is negative or not finite", std::to_string(seconds));
    }
  }
  if (!err.str().empty()) fuzz::violated("accepted, but wrote to stderr", err.str());
  return 0;
}
