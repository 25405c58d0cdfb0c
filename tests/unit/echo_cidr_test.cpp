// tasknet-echo's Cidr: which peers --proxy-protocol-from lets in, and what it refuses to parse.
#include "cidr.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tasknet::echo {
namespace {

Address at(const char* text) {
  return Address::parse(text, Address::Lookup::numeric_only);
}

TEST(Cidr, Ipv4NetworksContainTheirAddressesOnly) {
  const Cidr ten = Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(at("10.0.0.0:1")));
  EXPECT_TRUE(ten.contains(at("10.255.255.255:1")));
  EXPECT_FALSE(ten.contains(at("11.0.0.0:1")));
  EXPECT_FALSE(ten.contains(at("[::a00:1]:1")));  // an IPv6 address, not IPv4-mapped
  const Cidr odd = Cidr::parse("192.0.2.128/25");
  EXPECT_TRUE(odd.contains(at("192.0.2.200:1")));
  EXPECT_FALSE(odd.contains(at("192.0.2.127:1")));
}

TEST(Cidr, ABareAddressIsOneHost) {
  const Cidr host = Cidr::parse("192.0.2.7");
  EXPECT_EQ(host.to_string(), "192.0.2.7/32");
  EXPECT_TRUE(host.contains(at("192.0.2.7:80")));
  EXPECT_FALSE(host.contains(at("192.0.2.6:80")));
  EXPECT_EQ(Cidr::parse("::1").to_string(), "::1/128");
  EXPECT_TRUE(Cidr::parse("::1").contains(at("[::1]:80")));
}

TEST(Cidr, Ipv6NetworksContainTheirAddressesOnly) {
  const Cidr documentation = Cidr::parse("2001:db8::/32");
  EXPECT_TRUE(documentation.contains(at("[2001:db8:ffff::1]:1")));
  EXPECT_FALSE(documentation.contains(at("[2001:db9::1]:1")));
  EXPECT_FALSE(documentation.contains(at("32.1.13.184:1")));
}

TEST(Cidr, AnIpv4MappedPeerMatchesIpv4Networks) {
  // What a listener on [::] reports for an IPv4 client.
  EXPECT_TRUE(Cidr::parse("127.0.0.0/8").contains(at("[::ffff:127.0.0.1]:1")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/8").contains(at("[::ffff:127.0.0.1]:1")));
}

TEST(Cidr, PrefixZeroContainsEveryAddressOfItsFamily) {
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0").contains(at("203.0.113.9:1")));
  EXPECT_TRUE(Cidr::parse("::/0").contains(at("[2001:db8::1]:1")));
  EXPECT_FALSE(Cidr::parse("::/0").contains(at("203.0.113.9:1")));
}

TEST(Cidr, BadTextIsRefusedSayingWhy) {
  for (const char* text :
       {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0.0/+8",
        "10.0.0/8", "localhost", "::1/129", "10.0.0.1/8", "2001:db8::1/32", " 10.0.0.0/8"}) {
    EXPECT_THROW(Cidr::parse(text), std::invalid_argument) << text;
  }
  try {
    Cidr::parse("10.0.0.1/8");
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(),
                 "invalid CIDR '10.0.0.1/8': bits are set past the prefix (the network is "
                 "10.0.0.0/8)");
  }
}

TEST(Cidr, ListsAreCommaSeparatedWithoutEmptyItems) {
  const std::vector<Cidr> list = parse_cidr_list("10.0.0.0/8,::1,192.0.2.0/24");
  ASSERT_EQ(list.size(), 3U);
  EXPECT_TRUE(any_contains(list, at("192.0.2.9:1")));
  EXPECT_TRUE(any_contains(list, at("[::1]:1")));
  EXPECT_FALSE(any_contains(list, at("127.0.0.1:1")));
  EXPECT_THROW(parse_cidr_list(""), std::invalid_argument);
  EXPECT_THROW(parse_cidr_list("10.0.0.0/8,"), std::invalid_argument);
  EXPECT_THROW(parse_cidr_list(",10.0.0.0/8"), std::invalid_argument);
}

}  // namespace
}  // namespace tasknet::echo
