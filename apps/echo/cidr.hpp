// IPv4 and IPv6 networks in CIDR notation ("10.0.0.0/8", "2001:db8::/32"), for
// --proxy-protocol-from: which peers may connect and claim a client's address. Kept in
// tasknet-echo rather than the library: the program is its one user, and an access list is a
// program's policy, not a runtime's.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tasknet/net/address.hpp"

namespace tasknet::echo {

class Cidr {
 public:
  /// Parses "ADDRESS/PREFIX" or a bare ADDRESS (the one host: /32 or /128). ADDRESS is an IPv4 or
  /// IPv6 literal, PREFIX 0 to 32 or 0 to 128. Bits set past the prefix are refused, since they
  /// usually mean a typo ("10.0.0.1/8"). Throws std::invalid_argument saying what is wrong.
  static Cidr parse(std::string_view text);

  /// Whether `address` lies in this network. An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what
  /// a listener on :: reports for an IPv4 peer) is taken as the IPv4 address it carries.
  [[nodiscard]] bool contains(const Address& address) const noexcept;

  /// "10.0.0.0/8", "2001:db8::/32": what parse() reads back.
  [[nodiscard]] std::string to_string() const;

 private:
  bool ipv6_ = false;
  std::array<std::uint8_t, 16> bytes_{};  // the network; the first 4 for IPv4
  unsigned prefix_ = 0;                   // leading bits that must match
};

/// Parses "CIDR,CIDR,...": at least one, no empty items. Throws std::invalid_argument.
std::vector<Cidr> parse_cidr_list(std::string_view text);

/// Whether any network of `list` contains `address`.
[[nodiscard]] bool any_contains(const std::vector<Cidr>& list, const Address& address) noexcept;

}  // namespace tasknet::echo
