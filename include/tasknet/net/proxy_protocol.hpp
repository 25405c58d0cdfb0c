// HAProxy's PROXY protocol, versions 1 (text) and 2 (binary), as a server behind a balancer
// receives it: the header a balancer sends before the client's first byte, naming the client it
// relays. A pure parser over bytes (fuzzed: tests/fuzz/proxy_protocol_fuzz.cpp), and
// read_proxy_header(), which takes exactly the header from a socket and leaves the client's bytes
// for the next receive. The specification:
// https://www.haproxy.org/download/1.8/doc/proxy-protocol.txt
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "tasknet/net/address.hpp"
#include "tasknet/task.hpp"
#include "tasknet/wait_options.hpp"

namespace tasknet {

class Socket;

/// The longest version 1 header, CRLF included ("PROXY UNKNOWN" with two IPv6 addresses and two
/// ports): the specification's own bound. A line without CRLF in this many bytes is malformed.
inline constexpr std::size_t proxy_v1_max_size = 107;
/// The largest version 2 address block (the header's 15th and 16th bytes) accepted: 1024 bytes,
/// room for IPv6 addresses (36 bytes) and about a kilobyte of TLVs (HAProxy's SSL, ALPN, unique
/// ID; cloud balancers' endpoint IDs use tens of bytes). The protocol allows 65535; a bound keeps
/// what a connection can make the server hold small. Above it the header is malformed.
inline constexpr std::size_t proxy_v2_max_address_length = 1024;
/// The most bytes a header of either version may take: read_proxy_header()'s buffer.
inline constexpr std::size_t proxy_header_max_size = 16 + proxy_v2_max_address_length;

/// What a PROXY header says.
struct ProxyHeader {
  enum class Kind : std::uint8_t {
    /// A relayed TCP connection: source is the client, destination the address it connected to.
    proxied,
    /// Version 2's LOCAL command: the balancer's own connection (a health check). Use the
    /// connection's real addresses.
    local,
    /// Version 1's UNKNOWN, or version 2 relaying what is not TCP over IPv4 or IPv6 (UDP, a Unix
    /// socket, an unspecified family): the protocol says to use the real addresses.
    unknown,
  };

  Kind kind = Kind::unknown;
  std::uint8_t version = 0;  ///< 1 or 2
  Address source;            ///< the client; meaningful only when proxied
  Address destination;       ///< what the client connected to; meaningful only when proxied
  std::size_t size = 0;      ///< bytes the header takes on the wire, TLVs included

  [[nodiscard]] bool proxied() const noexcept { return kind == Kind::proxied; }
};

/// What a prefix of a connection's bytes turned out to be.
struct ProxyHeaderParse {
  enum class Status : std::uint8_t {
    complete,   ///< `header` holds the header, which takes the first header.size bytes
    need_more,  ///< every byte so far fits a header that has not ended yet
    malformed,  ///< not a valid header, or an oversized one: `error` says why
  };

  Status status = Status::need_more;
  ProxyHeader header;
  /// One line, without the "PROXY header: " that ProxyHeaderError adds ("bad v1 source port").
  const char* error = nullptr;
};

/// Parses the header at the start of `bytes`, which may go on past it (the client's data) or stop
/// short of its end. Never reads beyond the header's end: the answer depends only on the bytes
/// the header takes. Strict, as the specification asks (no leading zeroes in v1 numbers, exactly
/// one space, CRLF and nothing else to end a line, v2 version 2 and commands LOCAL or PROXY, TLVs
/// that fit their header exactly); fails as soon as a byte shows the input cannot be a header (a
/// client that sends "Hello" is refused at its first byte, not at the deadline). Version 2's
/// TLVs are checked for shape and skipped: CRC32C is not verified.
[[nodiscard]] ProxyHeaderParse parse_proxy_header(std::string_view bytes);

/// A malformed or oversized header, or a connection closed before its header ended:
/// std::errc::protocol_error, whose what() says which ("PROXY header: bad v1 source port").
class ProxyHeaderError : public std::system_error {
 public:
  explicit ProxyHeaderError(std::string_view reason)
      : std::system_error(std::make_error_code(std::errc::protocol_error), "PROXY header"),
        message_("PROXY header: " + std::string(reason)) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // copied without throwing, as an exception's members must be
};

/// Reads a PROXY header (either version) from the start of `socket`'s stream, taking exactly its
/// bytes: whatever the client sent after it stays in the socket for the next receive. Waits for
/// the header's bytes until options.deadline (the protocol suggests a few seconds, at least 3 to
/// cover a TCP retransmission; HAProxy and others send the header at once) or a stop.
///
/// Peeks (MSG_PEEK) at what has arrived, and takes the bytes only once they are known to be the
/// header's, so it costs two receives when the header arrives whole, as it does from a balancer.
/// Throws ProxyHeaderError for a malformed or oversized header or end of stream before its end,
/// TimedOut at the deadline, Cancelled on a stop, and std::system_error for a reset. Await it at
/// once, before any other receive on the socket; the socket must outlive the wait (as with
/// Socket's own operations, which hold it by reference the same way).
[[nodiscard]] Task<ProxyHeader> read_proxy_header(Socket& socket, WaitOptions options = no_limits);

}  // namespace tasknet
