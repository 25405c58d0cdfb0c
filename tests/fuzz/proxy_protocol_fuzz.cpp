// Fuzzes parse_proxy_header, the parser of the first bytes a balancer's connection sends.
// Promises: it never reads past its input nor crashes; a complete header is no longer than the
// limits and than the input, and parses the same from its own bytes alone (what follows a header
// never changes the answer); a prefix of a header needs more, never fails; a header cut short of
// the largest size only ever needs more or fails, so read_proxy_header's buffer always suffices;
// and a failure says why in one line.
#include <cstring>
#include <string_view>

#include "fuzz_input.hpp"
#include "tasknet/net/proxy_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tasknet::ProxyHeaderParse;
  using Status = ProxyHeaderParse::Status;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ProxyHeaderParse whole = tasknet::parse_proxy_header(bytes);

  switch (whole.status) {
    case Status::complete: {
      const std::size_t header_size = whole.header.size;
      if (header_size > size || header_size > tasknet::proxy_header_max_size) {
        tasknet::fuzz::violated("header longer than its input or the limit", bytes);
      }
      if (whole.header.version == 1 && header_size > tasknet::proxy_v1_max_size) {
        tasknet::fuzz::violated("v1 header longer than 107 bytes", bytes);
      }
      const ProxyHeaderParse alone = tasknet::parse_proxy_header(bytes.substr(0, header_size));
      if (alone.status != Status::complete || alone.header.size != header_size ||
          alone.header.kind != whole.header.kind || !(alone.header.source == whole.header.source) ||
          !(alone.header.destination == whole.header.destination)) {
        tasknet::fuzz::violated("the bytes after a header changed the answer", bytes);
      }
      for (const std::size_t cut : {std::size_t{0}, header_size / 2, header_size - 1}) {
        if (tasknet::parse_proxy_header(bytes.substr(0, cut)).status != Status::need_more) {
          tasknet::fuzz::violated("a prefix of a header did not need more", bytes);
        }
      }
      break;
    }
    case Status::need_more:
      if (size >= tasknet::proxy_header_max_size) {
        tasknet::fuzz::violated("needs more than the largest header", bytes);
      }
      if (whole.error != nullptr) tasknet::fuzz::violated("need_more with an error", bytes);
      break;
    case Status::malformed:
      if (whole.error == nullptr || *whole.error == '\0' || std::strchr(whole.error, '\n')) {
        tasknet::fuzz::violated("a failure without a one-line reason", bytes);
      }
      // Bytes already refused stay refused: a shorter prefix needs more or fails too.
      if (tasknet::parse_proxy_header(bytes.substr(0, size / 2)).status == Status::complete) {
        tasknet::fuzz::violated("a prefix of malformed bytes parsed as a header", bytes);
      }
      break;
  }
  return 0;
}
