// Parsing, resolving and formatting endpoints.
#include "tasknet/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace tasknet {
namespace {

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

}  // namespace

Address::Address() noexcept : storage_{} {
  storage_.v4.sin_family = AF_INET;
  storage_.v4.sin_addr.s_addr = htonl(INADDR_ANY);
}

Address Address::ipv4_loopback(std::uint16_t port) noexcept {
  Address address;
  address.storage_.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.storage_.v4.sin_port = htons(port);
  return address;
}

Address Address::ipv6_loopback(std::uint16_t port) noexcept {
  Address address;
  address.storage_ = {};
  address.storage_.v6.sin6_family = AF_INET6;
  address.storage_.v6.sin6_addr = in6addr_loopback;
  address.storage_.v6.sin6_port = htons(port);
  return address;
}

std::uint16_t Address::parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end || value > 65535) {
    throw std::invalid_argument("invalid port " + quoted(text) + ": expected 0 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

Address Address::parse(std::string_view text, Lookup lookup) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("invalid address " + quoted(text) + ": expected [IPV6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    Address address = resolve(host, parse_port(port), lookup);
    if (!address.is_ipv6()) {
      throw std::invalid_argument("invalid address " + quoted(text) +
                                  ": brackets are for IPv6 literals");
    }
    return address;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument("invalid address " + quoted(text) + ": expected HOST:PORT");
  }
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos) {
    throw std::invalid_argument("invalid address " + quoted(text) +
                                ": write an IPv6 host in brackets, as [::1]:25000");
  }
  return resolve(host, parse_port(port), lookup);
}

Address Address::resolve(std::string_view host, std::uint16_t port, Lookup lookup) {
  Address address;
  if (host.empty()) return address.with_port(port);
  const std::string name(host);
  // Literals first: no resolver round trip, and no surprises from /etc/hosts.
  if (inet_pton(AF_INET, name.c_str(), &address.storage_.v4.sin_addr) == 1) {
    return address.with_port(port);
  }
  address.storage_ = {};
  address.storage_.v6.sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, name.c_str(), &address.storage_.v6.sin6_addr) == 1) {
    return address.with_port(port);
  }
  // No name holds spaces, slashes or control characters: refuse them before the resolver does,
  // with a message of our own rather than whatever the resolver's configuration says.
  const auto not_in_a_name = [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
  };
  if (std::any_of(name.begin(), name.end(), not_in_a_name)) {
    throw std::invalid_argument("invalid host " + quoted(host));
  }
  if (lookup == Lookup::numeric_only) {
    throw std::invalid_argument("invalid host " + quoted(host) + ": expected an IP address");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(name.c_str(), nullptr, &hints, &found); error != 0) {
    throw std::runtime_error("cannot resolve host " + quoted(host) + ": " + gai_strerror(error));
  }
  Address resolved = from_sockaddr(found->ai_addr, found->ai_addrlen).with_port(port);
  freeaddrinfo(found);
  return resolved;
}

Address Address::from_sockaddr(const sockaddr* address, socklen_t length) {
  Address result;
  result.storage_ = {};
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&result.storage_.v4, address, sizeof(sockaddr_in));
  } else if (address->sa_family == AF_INET6 &&
             length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&result.storage_.v6, address, sizeof(sockaddr_in6));
  } else {
    throw std::invalid_argument("unsupported socket address family " +
                                std::to_string(address->sa_family));
  }
  return result;
}

bool Address::is_loopback() const noexcept {
  if (is_ipv6()) return IN6_IS_ADDR_LOOPBACK(&storage_.v6.sin6_addr);
  return (ntohl(storage_.v4.sin_addr.s_addr) >> 24) == 127;
}

std::uint16_t Address::port() const noexcept {
  return ntohs(is_ipv6() ? storage_.v6.sin6_port : storage_.v4.sin_port);
}

Address Address::with_port(std::uint16_t port) const noexcept {
  Address copy = *this;
  (copy.is_ipv6() ? copy.storage_.v6.sin6_port : copy.storage_.v4.sin_port) = htons(port);
  return copy;
}

socklen_t Address::size() const noexcept {
  return is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string Address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_ipv6()) {
    inet_ntop(AF_INET6, &storage_.v6.sin6_addr, text, sizeof text);
  } else {
    inet_ntop(AF_INET, &storage_.v4.sin_addr, text, sizeof text);
  }
  return text;
}

std::string Address::to_string() const {
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "[" + host() + "]:".
  std::string text;
  if (is_ipv6()) text += '[';
  text += host();
  if (is_ipv6()) text += ']';
  text += ':';
  text += std::to_string(port());
  return text;
}

bool operator==(const Address& a, const Address& b) noexcept {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.is_ipv6()) {
    return std::memcmp(&a.storage_.v6.sin6_addr, &b.storage_.v6.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return a.storage_.v4.sin_addr.s_addr == b.storage_.v4.sin_addr.s_addr;
}

}  // namespace tasknet
