// parse_proxy_header: version 1's text line and version 2's binary block, strictly, as the
// specification asks of a receiver (any sequence that does not match exactly is refused).
#include "tasknet/net/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace tasknet {
namespace {

using Status = ProxyHeaderParse::Status;

constexpr std::string_view v1_signature = "PROXY ";
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t v2_fixed_size = 16;  // signature, version and command, family, length

ProxyHeaderParse malformed(const char* why) {
  return {.status = Status::malformed, .header = {}, .error = why};
}

ProxyHeaderParse complete(const ProxyHeader& header) {
  return {.status = Status::complete, .header = header, .error = nullptr};
}

/// Whether `bytes` and `expected` agree as far as both go.
bool agrees_with(std::string_view bytes, std::string_view expected) {
  const std::size_t common = std::min(bytes.size(), expected.size());
  return bytes.substr(0, common) == expected.substr(0, common);
}

std::uint8_t byte_at(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint8_t>(bytes[at]);
}

std::size_t big_endian_16(std::string_view bytes, std::size_t at) {
  return (std::size_t{byte_at(bytes, at)} << 8U) | byte_at(bytes, at + 1);
}

/// An endpoint from an IPv4 address (4 bytes) and a port (2 bytes), both in network byte order.
Address ipv4_endpoint(const void* address, const void* port) {
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  std::memcpy(&endpoint.sin_addr, address, sizeof endpoint.sin_addr);
  std::memcpy(&endpoint.sin_port, port, sizeof endpoint.sin_port);
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint);
}

/// The same from an IPv6 address (16 bytes).
Address ipv6_endpoint(const void* address, const void* port) {
  sockaddr_in6 endpoint{};
  endpoint.sin6_family = AF_INET6;
  std::memcpy(&endpoint.sin6_addr, address, sizeof endpoint.sin6_addr);
  std::memcpy(&endpoint.sin6_port, port, sizeof endpoint.sin6_port);
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint);
}

// ---- Version 1: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"

/// All of `text` as a decimal number up to `max`, without a leading zero (the specification
/// forbids them, lest they be read as octal).
std::optional<unsigned> decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

/// Four decimal numbers 0 to 255 joined by single dots, and nothing else.
std::optional<in_addr> ipv4(std::string_view text) {
  std::uint8_t octets[4];
  for (std::uint8_t& octet : octets) {
    const std::size_t dot = &octet == &octets[3] ? text.size() : text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const auto value = decimal(text.substr(0, dot), 255);
    if (!value) return std::nullopt;
    octet = static_cast<std::uint8_t>(*value);
    text.remove_prefix(std::min(dot + 1, text.size()));
  }
  in_addr address{};
  std::memcpy(&address, octets, sizeof octets);
  return address;
}

std::optional<in6_addr> ipv6(std::string_view text) {
  char terminated[INET6_ADDRSTRLEN] = {};
  if (text.empty() || text.size() >= sizeof terminated) return std::nullopt;
  std::memcpy(terminated, text.data(), text.size());
  in6_addr address{};
  if (inet_pton(AF_INET6, terminated, &address) != 1) return std::nullopt;
  return address;
}

/// The fields of a line, each ended by exactly one space or by the line's end.
class Fields {
 public:
  explicit Fields(std::string_view line) : rest_(line) {}

  /// The next field; empty when the line has ended or two spaces meet.
  std::string_view next() {
    const std::size_t space = rest_.find(' ');
    const std::string_view field = rest_.substr(0, space);
    rest_.remove_prefix(space == std::string_view::npos ? rest_.size() : space + 1);
    ended_ = space == std::string_view::npos;
    return field;
  }
  [[nodiscard]] bool ended() const noexcept { return ended_; }

 private:
  std::string_view rest_;
  bool ended_ = false;
};

/// The line without its CRLF, known to start with "PROXY ".
ProxyHeaderParse parse_v1_line(std::string_view line, std::size_t size) {
  Fields fields(line.substr(v1_signature.size()));
  const std::string_view protocol = fields.next();
  ProxyHeader header{.kind = ProxyHeader::Kind::unknown, .version = 1, .size = size};
  if (protocol == "UNKNOWN") return complete(header);  // the rest of the line is to be ignored
  const bool is_ipv6 = protocol == "TCP6";
  if (!is_ipv6 && protocol != "TCP4")
    return malformed("unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");

  const std::string_view source = fields.next();
  const std::string_view destination = fields.next();
  const std::string_view source_port = fields.next();
  if (fields.ended()) return malformed("v1 line has too few fields");
  const std::string_view destination_port = fields.next();
  if (!fields.ended()) return malformed("v1 line has too many fields or spaces");

  const auto from_port = decimal(source_port, 65535);
  const auto to_port = decimal(destination_port, 65535);
  if (!from_port) return malformed("bad v1 source port");
  if (!to_port) return malformed("bad v1 destination port");
  // Ports as they travel, in network byte order, as version 2 carries them.
  const std::uint16_t from_port_bytes = htons(static_cast<std::uint16_t>(*from_port));
  const std::uint16_t to_port_bytes = htons(static_cast<std::uint16_t>(*to_port));
  if (is_ipv6) {
    const auto from = ipv6(source);
    const auto to = ipv6(destination);
    if (!from) return malformed("bad v1 source address (TCP6)");
    if (!to) return malformed("bad v1 destination address (TCP6)");
    header.source = ipv6_endpoint(&*from, &from_port_bytes);
    header.destination = ipv6_endpoint(&*to, &to_port_bytes);
  } else {
    const auto from = ipv4(source);
    const auto to = ipv4(destination);
    if (!from) return malformed("bad v1 source address (TCP4)");
    if (!to) return malformed("bad v1 destination address (TCP4)");
    header.source = ipv4_endpoint(&*from, &from_port_bytes);
    header.destination = ipv4_endpoint(&*to, &to_port_bytes);
  }
  header.kind = ProxyHeader::Kind::proxied;
  return complete(header);
}

/// Whether the protocol named so far (up to a space, a CR or the bytes' end) can still be one of
/// version 1's: refuses "PROXY HELLO" without waiting for a line end that may never come.
bool protocol_may_be_valid(std::string_view after_signature) {
  const std::size_t end = after_signature.find_first_of(" \r\n");
  const std::string_view name = after_signature.substr(0, end);
  for (const std::string_view known : {"TCP4", "TCP6", "UNKNOWN"}) {
    if (end == std::string_view::npos ? known.starts_with(name) : name == known) return true;
  }
  return false;
}

ProxyHeaderParse parse_v1(std::string_view bytes) {
  if (bytes.size() < v1_signature.size()) return {};
  if (!protocol_may_be_valid(bytes.substr(v1_signature.size()))) {
    return malformed("unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");
  }
  // The line ends at the first CR, which must be followed by LF; a lone LF ends nothing.
  const std::string_view window = bytes.substr(0, proxy_v1_max_size);
  const std::size_t end = window.find_first_of("\r\n");
  if (end == std::string_view::npos) {
    return window.size() == proxy_v1_max_size ? malformed("v1 line longer than 107 bytes")
                                              : ProxyHeaderParse{};
  }
  if (window[end] == '\n') return malformed("v1 line ends in LF without CR");
  if (end + 1 == proxy_v1_max_size) return malformed("v1 line longer than 107 bytes");
  if (end + 1 == bytes.size()) return {};  // the LF has not arrived yet
  if (bytes[end + 1] != '\n') return malformed("v1 line has a CR without LF");
  return parse_v1_line(bytes.substr(0, end), end + 2);
}

// ---- Version 2: signature, version and command, family and protocol, length, addresses, TLVs

/// Type-length-value records filling bytes [at, end) exactly.
bool tlvs_fit(std::string_view bytes, std::size_t at, std::size_t end) {
  while (at < end) {
    if (end - at < 3) return false;
    const std::size_t length = big_endian_16(bytes, at + 1);
    if (length > end - at - 3) return false;
    at += 3 + length;
  }
  return true;
}

ProxyHeaderParse parse_v2(std::string_view bytes) {
  if (bytes.size() > 12 && (byte_at(bytes, 12) >> 4U) != 2) {
    return malformed("unsupported v2 version (not 2)");
  }
  const unsigned command = bytes.size() > 12 ? byte_at(bytes, 12) & 0x0FU : 0;
  if (command > 1) return malformed("unknown v2 command (not LOCAL or PROXY)");
  const unsigned family = bytes.size() > 13 ? byte_at(bytes, 13) >> 4U : 0;
  const unsigned transport = bytes.size() > 13 ? byte_at(bytes, 13) & 0x0FU : 0;
  if (family > 3 || transport > 2) return malformed("unknown v2 address family or protocol");
  if (bytes.size() < v2_fixed_size) return {};
  const std::size_t length = big_endian_16(bytes, 14);
  if (length > proxy_v2_max_address_length) {
    return malformed("v2 address block longer than 1024 bytes");
  }
  ProxyHeader header{
      .kind = ProxyHeader::Kind::unknown, .version = 2, .size = v2_fixed_size + length};
  if (bytes.size() < header.size) return {};
  // LOCAL: the block, family included, is to be ignored. So is what this receiver does not
  // relay (UDP, Unix sockets, AF_UNSPEC), whose addresses it need not understand.
  if (command == 0) {
    header.kind = ProxyHeader::Kind::local;
    return complete(header);
  }
  const std::uint8_t kind = byte_at(bytes, 13);
  if (kind != 0x11 && kind != 0x21) return complete(header);

  const char* const block = bytes.data() + v2_fixed_size;
  std::size_t addresses = 0;
  if (kind == 0x11) {  // TCP over IPv4: two 4-byte addresses, two ports
    addresses = 12;
    if (length < addresses) return malformed("v2 IPv4 address block shorter than 12 bytes");
    header.source = ipv4_endpoint(block, block + 8);
    header.destination = ipv4_endpoint(block + 4, block + 10);
  } else {  // TCP over IPv6: two 16-byte addresses, two ports
    addresses = 36;
    if (length < addresses) return malformed("v2 IPv6 address block shorter than 36 bytes");
    header.source = ipv6_endpoint(block, block + 32);
    header.destination = ipv6_endpoint(block + 16, block + 34);
  }
  if (!tlvs_fit(bytes, v2_fixed_size + addresses, header.size)) {
    return malformed("v2 TLVs do not fit the header");
  }
  header.kind = ProxyHeader::Kind::proxied;
  return complete(header);
}

}  // namespace

ProxyHeaderParse parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return {};
  // The two versions differ at their first byte: 'P' or CR.
  if (agrees_with(bytes, v1_signature)) return parse_v1(bytes);
  if (agrees_with(bytes, v2_signature)) return parse_v2(bytes);
  return malformed("not a PROXY protocol header");
}

}  // namespace tasknet
