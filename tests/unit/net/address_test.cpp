#include "tasknet/net/address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tasknet {
namespace {

TEST(Address, ParsesIpv4HostAndPort) {
  const Address address = Address::parse("127.0.0.1:25000");
  EXPECT_EQ(address.family(), AF_INET);
  EXPECT_EQ(address.host(), "127.0.0.1");
  EXPECT_EQ(address.port(), 25000);
  EXPECT_TRUE(address.is_loopback());
}

TEST(Address, ParsesBracketedIpv6) {
  const Address address = Address::parse("[::1]:25000");
  EXPECT_TRUE(address.is_ipv6());
  EXPECT_EQ(address.host(), "::1");
  EXPECT_EQ(address.to_string(), "[::1]:25000");
  EXPECT_TRUE(address.is_loopback());
}

TEST(Address, ResolvesLocalhostToALoopbackAddress) {
  const Address address = Address::parse("localhost:25000");
  EXPECT_TRUE(address.is_loopback()) << address.to_string();
  EXPECT_EQ(address.port(), 25000);
}

TEST(Address, NumericOnlyTakesLiteralsAndRefusesNames) {
  EXPECT_EQ(Address::parse("127.0.0.1:80", Address::Lookup::numeric_only).to_string(),
            "127.0.0.1:80");
  EXPECT_EQ(Address::parse("[::1]:80", Address::Lookup::numeric_only).to_string(), "[::1]:80");
  try {
    (void)Address::parse("localhost:80", Address::Lookup::numeric_only);
    FAIL() << "a name was looked up";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "invalid host 'localhost': expected an IP address");
  }
}

TEST(Address, AnEmptyHostMeansEveryIpv4Interface) {
  EXPECT_EQ(Address::parse(":8080").to_string(), "0.0.0.0:8080");
  EXPECT_EQ(Address::resolve("", 25000).to_string(), "0.0.0.0:25000");
}

TEST(Address, FormatsWhatItParses) {
  for (const char* text : {"10.1.2.3:1", "0.0.0.0:0", "[fe80::1]:65535", "[::]:25000"}) {
    EXPECT_EQ(Address::parse(text).to_string(), text);
  }
}

TEST(Address, RejectsAMissingPort) {
  EXPECT_THROW(Address::parse("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(Address::parse("127.0.0.1:"), std::invalid_argument);
  EXPECT_THROW(Address::parse("[::1]"), std::invalid_argument);
}

TEST(Address, RejectsPortsOutsideTheRange) {
  for (const char* port : {"65536", "-1", "abc", "80x", "99999999999999999999"}) {
    EXPECT_THROW(Address::parse(std::string("127.0.0.1:") + port), std::invalid_argument) << port;
  }
}

TEST(Address, ErrorsNameWhatIsWrong) {
  try {
    (void)Address::parse("127.0.0.1:70000");
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "invalid port '70000': expected 0 to 65535");
  }
}

TEST(Address, RejectsUnbracketedIpv6) {
  EXPECT_THROW(Address::parse("::1:25000"), std::invalid_argument);
}

TEST(Address, RejectsBracketsAroundIpv4) {
  EXPECT_THROW(Address::parse("[127.0.0.1]:80"), std::invalid_argument);
}

TEST(Address, RejectsHostsThatCannotBeNames) {
  EXPECT_THROW(Address::parse("no such host:80"), std::invalid_argument);
}

TEST(Address, ComparesByFamilyHostAndPort) {
  EXPECT_EQ(Address::parse("127.0.0.1:5"), Address::ipv4_loopback(5));
  EXPECT_EQ(Address::parse("[::1]:5"), Address::ipv6_loopback(5));
  EXPECT_FALSE(Address::ipv4_loopback(5) == Address::ipv4_loopback(6));
  EXPECT_FALSE(Address::ipv4_loopback(5) == Address::ipv6_loopback(5));
}

}  // namespace
}  // namespace tasknet
