// parse_proxy_header over bytes: every form of version 1 and 2 that a balancer sends, every way a
// header can be wrong or too long, and headers that arrive a byte at a time.
#include "tasknet/net/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tasknet {
namespace {

using namespace std::string_literals;
using Status = ProxyHeaderParse::Status;
using Kind = ProxyHeader::Kind;

const std::string v2_signature = "\r\n\r\n\0\r\nQUIT\n"s;

/// A version 2 header: command byte, family byte, then the block (addresses and TLVs).
std::string v2(std::uint8_t version_command, std::uint8_t family, const std::string& block) {
  std::string header = v2_signature;
  header += static_cast<char>(version_command);
  header += static_cast<char>(family);
  header += static_cast<char>(block.size() >> 8U);
  header += static_cast<char>(block.size() & 0xFFU);
  return header + block;
}

std::string tlv(std::uint8_t type, const std::string& value) {
  return std::string{static_cast<char>(type), static_cast<char>(value.size() >> 8U),
                     static_cast<char>(value.size() & 0xFFU)} +
         value;
}

/// 192.0.2.1:56324 -> 198.51.100.7:443, as the v2 block of TCP over IPv4.
const std::string ipv4_block = "\xC0\x00\x02\x01\xC6\x33\x64\x07\xDC\x04\x01\xBB"s;
/// [2001:db8::1]:56324 -> [2001:db8::2]:443.
const std::string ipv6_block = "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x01"s +
                               "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x02"s + "\xDC\x04\x01\xBB"s;

ProxyHeader parsed(std::string_view bytes) {
  const ProxyHeaderParse result = parse_proxy_header(bytes);
  EXPECT_EQ(result.status, Status::complete) << (result.error ? result.error : "need more");
  return result.header;
}

std::string error_of(std::string_view bytes) {
  const ProxyHeaderParse result = parse_proxy_header(bytes);
  EXPECT_EQ(result.status, Status::malformed)
      << "for " << testing::PrintToString(std::string(bytes));
  return result.error != nullptr ? result.error : "";
}

TEST(ProxyProtocol, V1Tcp4GivesBothAddressesAndTheHeaderSize) {
  const std::string line = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
  const ProxyHeader header = parsed(line + "GET / HTTP/1.0\r\n");
  EXPECT_EQ(header.kind, Kind::proxied);
  EXPECT_EQ(header.version, 1);
  EXPECT_EQ(header.source.to_string(), "192.0.2.1:56324");
  EXPECT_EQ(header.destination.to_string(), "198.51.100.7:443");
  EXPECT_EQ(header.size, line.size());
}

TEST(ProxyProtocol, V1Tcp6GivesBothAddresses) {
  const ProxyHeader header = parsed("PROXY TCP6 2001:db8::1 2001:DB8::2 0 65535\r\n");
  EXPECT_EQ(header.kind, Kind::proxied);
  EXPECT_EQ(header.source.to_string(), "[2001:db8::1]:0");
  EXPECT_EQ(header.destination.to_string(), "[2001:db8::2]:65535");
}

TEST(ProxyProtocol, V1LongestLinesAreAccepted) {
  const std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const std::string tcp6 = "PROXY TCP6 " + f + " " + f + " 65535 65535\r\n";
  EXPECT_EQ(tcp6.size(), 104U);
  EXPECT_EQ(parsed(tcp6).size, 104U);
  const std::string unknown = "PROXY UNKNOWN " + f + " " + f + " 65535 65535\r\n";
  EXPECT_EQ(unknown.size(), proxy_v1_max_size);
  EXPECT_EQ(parsed(unknown).kind, Kind::unknown);
}

TEST(ProxyProtocol, V1UnknownIgnoresTheRestOfItsLine) {
  EXPECT_EQ(parsed("PROXY UNKNOWN\r\n").kind, Kind::unknown);
  const ProxyHeader header = parsed("PROXY UNKNOWN whatever was here\r\nhello");
  EXPECT_EQ(header.kind, Kind::unknown);
  EXPECT_EQ(header.size, 33U);
}

TEST(ProxyProtocol, V2TcpOverIpv4) {
  const std::string header_bytes = v2(0x21, 0x11, ipv4_block);
  const ProxyHeader header = parsed(header_bytes + "hello");
  EXPECT_EQ(header.kind, Kind::proxied);
  EXPECT_EQ(header.version, 2);
  EXPECT_EQ(header.source.to_string(), "192.0.2.1:56324");
  EXPECT_EQ(header.destination.to_string(), "198.51.100.7:443");
  EXPECT_EQ(header.size, 28U);
}

TEST(ProxyProtocol, V2TcpOverIpv6) {
  const ProxyHeader header = parsed(v2(0x21, 0x21, ipv6_block));
  EXPECT_EQ(header.kind, Kind::proxied);
  EXPECT_EQ(header.source.to_string(), "[2001:db8::1]:56324");
  EXPECT_EQ(header.destination.to_string(), "[2001:db8::2]:443");
  EXPECT_EQ(header.size, 52U);
}

TEST(ProxyProtocol, V2LocalIgnoresItsBlockWhateverItHolds) {
  EXPECT_EQ(parsed(v2(0x20, 0x00, "")).kind, Kind::local);
  // Receivers must skip the length given, even for LOCAL, and ignore the family.
  const ProxyHeader header = parsed(v2(0x20, 0x11, ipv4_block) + "data");
  EXPECT_EQ(header.kind, Kind::local);
  EXPECT_EQ(header.size, 28U);
}

TEST(ProxyProtocol, V2SkipsTlvs) {
  const std::string block = ipv4_block + tlv(0x01, "h2") + tlv(0x04, "") +
                            tlv(0x05, std::string(128, 'u')) + tlv(0xE0, "custom");
  const ProxyHeader header = parsed(v2(0x21, 0x11, block) + "after");
  EXPECT_EQ(header.kind, Kind::proxied);
  EXPECT_EQ(header.source.to_string(), "192.0.2.1:56324");
  EXPECT_EQ(header.size, 16 + block.size());
}

TEST(ProxyProtocol, V2OtherTransportsAndFamiliesMeanUseTheRealAddresses) {
  EXPECT_EQ(parsed(v2(0x21, 0x12, ipv4_block)).kind, Kind::unknown);              // UDP over IPv4
  EXPECT_EQ(parsed(v2(0x21, 0x22, ipv6_block)).kind, Kind::unknown);              // UDP over IPv6
  EXPECT_EQ(parsed(v2(0x21, 0x31, std::string(216, '\0'))).kind, Kind::unknown);  // Unix stream
  EXPECT_EQ(parsed(v2(0x21, 0x00, "")).kind, Kind::unknown);                      // AF_UNSPEC
}

TEST(ProxyProtocol, V2LargestBlockIsAcceptedAndOneMoreIsRefused) {
  const std::string largest = ipv4_block + tlv(0x04, std::string(1024 - 12 - 3, 'x'));
  EXPECT_EQ(parsed(v2(0x21, 0x11, largest)).size, proxy_header_max_size);
  // Refused from the fixed part alone: no need to wait for the bytes it announces.
  const std::string too_large = v2(0x21, 0x11, largest + "x").substr(0, 16);
  EXPECT_EQ(error_of(too_large), "v2 address block longer than 1024 bytes");
}

TEST(ProxyProtocol, V1LineWithoutCrlfIn107BytesIsRefused) {
  const std::string long_unknown = "PROXY UNKNOWN " + std::string(93, 'x');
  ASSERT_EQ(long_unknown.size(), 107U);
  EXPECT_EQ(error_of(long_unknown), "v1 line longer than 107 bytes");
  EXPECT_EQ(error_of(long_unknown + "\r\n"), "v1 line longer than 107 bytes");
  // CR as the 107th byte: its LF would be the 108th.
  EXPECT_EQ(error_of(long_unknown.substr(0, 106) + "\r"), "v1 line longer than 107 bytes");
  EXPECT_EQ(parse_proxy_header(long_unknown.substr(0, 106)).status, Status::need_more);
}

TEST(ProxyProtocol, MalformedV1LinesSayWhatIsWrong) {
  const std::string good_tail = " 192.0.2.1 198.51.100.7 56324 443\r\n";
  EXPECT_EQ(error_of("PROXY TCP5" + good_tail), "unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(error_of("PROXY tcp4" + good_tail), "unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(error_of("PROXY UNKNOWNX\r\n"), "unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(error_of("PROXY TCP4\r\n"), "v1 line has too few fields");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324\r\n"), "v1 line has too few fields");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443 1\r\n"),
            "v1 line has too many fields or spaces");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443 \r\n"),
            "v1 line has too many fields or spaces");
  EXPECT_EQ(error_of("PROXY TCP4  192.0.2.1 198.51.100.7 56324 443\r\n"),
            "v1 line has too many fields or spaces");
  EXPECT_EQ(error_of("PROXY TCP4  198.51.100.7 56324 443\r\n"), "bad v1 source address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.01 198.51.100.7 56324 443\r\n"),
            "bad v1 source address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.256 198.51.100.7 56324 443\r\n"),
            "bad v1 source address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2 198.51.100.7 56324 443\r\n"),
            "bad v1 source address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1.5 198.51.100.7 56324 443\r\n"),
            "bad v1 source address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 ::1 56324 443\r\n"),
            "bad v1 destination address (TCP4)");
  EXPECT_EQ(error_of("PROXY TCP6 192.0.2.1 ::1 56324 443\r\n"), "bad v1 source address (TCP6)");
  EXPECT_EQ(error_of("PROXY TCP6 ::1 ::g 56324 443\r\n"), "bad v1 destination address (TCP6)");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 056324 443\r\n"), "bad v1 source port");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 65536 443\r\n"), "bad v1 source port");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 -1 443\r\n"), "bad v1 source port");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324 4x3\r\n"), "bad v1 destination port");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\n"),
            "v1 line ends in LF without CR");
  EXPECT_EQ(error_of("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\rX"),
            "v1 line has a CR without LF");
  EXPECT_EQ(error_of("PROXY UNKNOWN\n"), "v1 line ends in LF without CR");
}

TEST(ProxyProtocol, MalformedV2HeadersSayWhatIsWrong) {
  EXPECT_EQ(error_of(v2(0x11, 0x11, ipv4_block)), "unsupported v2 version (not 2)");
  EXPECT_EQ(error_of(v2(0x22, 0x11, ipv4_block)), "unknown v2 command (not LOCAL or PROXY)");
  EXPECT_EQ(error_of(v2(0x21, 0x41, ipv4_block)), "unknown v2 address family or protocol");
  EXPECT_EQ(error_of(v2(0x21, 0x13, ipv4_block)), "unknown v2 address family or protocol");
  EXPECT_EQ(error_of(v2(0x21, 0x11, ipv4_block.substr(0, 11))),
            "v2 IPv4 address block shorter than 12 bytes");
  EXPECT_EQ(error_of(v2(0x21, 0x21, ipv4_block)), "v2 IPv6 address block shorter than 36 bytes");
  EXPECT_EQ(error_of(v2(0x21, 0x11, ipv4_block + "\x04\x00")), "v2 TLVs do not fit the header");
  EXPECT_EQ(error_of(v2(0x21, 0x11, ipv4_block + "\x04\x00\x02x")),
            "v2 TLVs do not fit the header");
}

TEST(ProxyProtocol, WhatIsNoHeaderIsRefusedAtItsFirstWrongByte) {
  EXPECT_EQ(error_of("Hello"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("G"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("PROXy"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("PROXY\t"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("\r\n\r\nX"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("\r\n\r\n\0\r\nQUIT\r"s), "not a PROXY protocol header");
  EXPECT_EQ(error_of("PROXY HELLO"), "unknown v1 protocol (not TCP4, TCP6 or UNKNOWN)");
  EXPECT_EQ(error_of(v2_signature + "\x31"), "unsupported v2 version (not 2)");
}

/// Every proper prefix of a header needs more; the whole parses the same as in one piece.
void expect_needs_more_until_whole(const std::string& header) {
  for (std::size_t size = 0; size < header.size(); ++size) {
    const ProxyHeaderParse part = parse_proxy_header(std::string_view(header).substr(0, size));
    EXPECT_EQ(part.status, Status::need_more) << "after " << size << " of " << header.size();
  }
  EXPECT_EQ(parsed(header).size, header.size());
}

TEST(ProxyProtocol, HeadersSplitAnywhereNeedMoreUntilWhole) {
  expect_needs_more_until_whole("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n");
  expect_needs_more_until_whole("PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n");
  expect_needs_more_until_whole("PROXY UNKNOWN\r\n");
  expect_needs_more_until_whole(v2(0x21, 0x11, ipv4_block));
  expect_needs_more_until_whole(v2(0x21, 0x21, ipv6_block + tlv(0x02, "example.com")));
  expect_needs_more_until_whole(v2(0x20, 0x00, ""));
}

TEST(ProxyProtocol, WhatFollowsTheHeaderNeverChangesTheAnswer) {
  const std::string header = v2(0x21, 0x11, ipv4_block);
  for (const std::string& tail :
       {""s, "\0"s, "PROXY TCP4"s, v2_signature, std::string(5000, 'x')}) {
    EXPECT_EQ(parsed(header + tail).size, header.size());
  }
}

TEST(ProxyProtocol, ErrorsAreSystemErrorsNamingTheProtocol) {
  const ProxyHeaderError error("bad v1 source port");
  EXPECT_STREQ(error.what(), "PROXY header: bad v1 source port");
  EXPECT_EQ(error.code(), std::errc::protocol_error);
}

}  // namespace
}  // namespace tasknet
