// Fuzzes Address::parse (literal hosts only: the resolver is not the parser) and parse_port.
// Promises: only std::invalid_argument for bad input, and what parses prints back as text that
// parses to the same address.
#include <stdexcept>

#include "fuzz_input.hpp"
#include "tasknet/net/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tasknet::Address;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const std::uint16_t port = Address::parse_port(text);
    if (std::to_string(port) != text && !text.starts_with('0')) {
      tasknet::fuzz::violated("port read back differently", text);
    }
  } catch (const std::invalid_argument&) {
  }
  try {
    const Address address = Address::parse(text, Address::Lookup::numeric_only);
    const std::string printed = address.to_string();
    if (!(Address::parse(printed, Address::Lookup::numeric_only) == address)) {
      tasknet::fuzz::violated("to_string() does not parse back to the same address", printed);
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
