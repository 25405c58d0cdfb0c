// Cidr: parsing, matching and formatting networks.
#include "cidr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace tasknet::echo {
namespace {

std::invalid_argument invalid(std::string_view text, const std::string& why) {
  return std::invalid_argument("invalid CIDR '" + std::string(text) + "': " + why);
}

/// Whether the first `bits` bits of a and b agree.
bool same_leading_bits(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) noexcept {
  const unsigned whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Cidr Cidr::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  Cidr cidr;
  if (host.find('\0') != std::string::npos) {
    throw invalid(text, "expected an IPv4 or IPv6 address, then /PREFIX");
  }
  if (inet_pton(AF_INET, host.c_str(), cidr.bytes_.data()) == 1) {
    cidr.prefix_ = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), cidr.bytes_.data()) == 1) {
    cidr.ipv6_ = true;
    cidr.prefix_ = 128;
  } else {
    throw invalid(text, "expected an IPv4 or IPv6 address, then /PREFIX");
  }
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
        prefix > cidr.prefix_) {
      throw invalid(text, "prefix length must be 0 to " + std::to_string(cidr.prefix_));
    }
    // Bits past the prefix must be zero: clear them and compare.
    Cidr network = cidr;
    for (unsigned bit = prefix; bit < cidr.prefix_; ++bit) {
      network.bytes_[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
    }
    if (network.bytes_ != cidr.bytes_) {
      network.prefix_ = prefix;
      throw invalid(text,
                    "bits are set past the prefix (the network is " + network.to_string() + ")");
    }
    cidr.prefix_ = prefix;
  }
  return cidr;
}

bool Cidr::contains(const Address& address) const noexcept {
  const sockaddr* raw = address.data();
  if (address.is_ipv6()) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(raw);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&v6->sin6_addr);
    if (ipv6_) return same_leading_bits(bytes, bytes_.data(), prefix_);
    return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) &&
           same_leading_bits(bytes + 12, bytes_.data(), prefix_);
  }
  if (ipv6_) return false;
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(raw);
  return same_leading_bits(reinterpret_cast<const std::uint8_t*>(&v4->sin_addr), bytes_.data(),
                           prefix_);
}

std::string Cidr::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6_ ? AF_INET6 : AF_INET, bytes_.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_);
}

std::vector<Cidr> parse_cidr_list(std::string_view text) {
  std::vector<Cidr> list;
  for (std::string_view rest = text;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (item.empty()) throw std::invalid_argument("empty item in '" + std::string(text) + "'");
    list.push_back(Cidr::parse(item));
    if (comma == std::string_view::npos) return list;
    rest.remove_prefix(comma + 1);
  }
}

bool any_contains(const std::vector<Cidr>& list, const Address& address) noexcept {
  return std::any_of(list.begin(), list.end(),
                     [&address](const Cidr& cidr) { return cidr.contains(address); });
}

}  // namespace tasknet::echo
