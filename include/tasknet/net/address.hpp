// IPv4 and IPv6 endpoints: parsing "host:port", "[::1]:25000" and "localhost:25000", and
// formatting them back. Small enough (28 bytes) to pass by value into every connection's handler.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tasknet {

class Address {
 public:
  /// 0.0.0.0:0.
  Address() noexcept;

  /// Whether a host may be a name for the resolver, or must be an IP literal (which never
  /// blocks and never reads /etc/hosts).
  enum class Lookup { names, numeric_only };

  /// Parses "HOST:PORT" or "[IPV6]:PORT". HOST is an IPv4 or IPv6 literal or a name to resolve
  /// (the first address the resolver gives); an empty HOST means every IPv4 interface.
  /// Throws std::invalid_argument naming what is malformed (or, with Lookup::numeric_only, a
  /// name), std::runtime_error when a name does not resolve.
  static Address parse(std::string_view text, Lookup lookup = Lookup::names);

  /// HOST as in parse(), with a separate port.
  static Address resolve(std::string_view host, std::uint16_t port, Lookup lookup = Lookup::names);

  /// Parses a port number, 0 to 65535. Throws std::invalid_argument otherwise.
  static std::uint16_t parse_port(std::string_view text);

  /// Copies a socket address of family AF_INET or AF_INET6. Throws std::invalid_argument for
  /// other families or a short length.
  static Address from_sockaddr(const sockaddr* address, socklen_t length);

  static Address ipv4_loopback(std::uint16_t port) noexcept;
  static Address ipv6_loopback(std::uint16_t port) noexcept;

  [[nodiscard]] int family() const noexcept { return storage_.generic.sa_family; }
  [[nodiscard]] bool is_ipv6() const noexcept { return family() == AF_INET6; }
  [[nodiscard]] bool is_loopback() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] Address with_port(std::uint16_t port) const noexcept;

  /// The host alone: "127.0.0.1", "::1".
  [[nodiscard]] std::string host() const;
  /// "127.0.0.1:25000" or "[::1]:25000": what parse() reads back.
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] const sockaddr* data() const noexcept { return &storage_.generic; }
  [[nodiscard]] socklen_t size() const noexcept;

  friend bool operator==(const Address& a, const Address& b) noexcept;

 private:
  union Storage {
    sockaddr generic;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } storage_;
};

}  // namespace tasknet
