// tasknet-bench's reply checking: prefixes stripped wherever the reply is cut, and every wrong,
// missing or extra byte caught.
#include "payload.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tasknet::bench {
namespace {

/// What a server with `prefix` and receive size `chunk` would send back for the first `size`
/// bytes of the stream.
std::string replies(const PayloadPattern& pattern, const std::string& prefix, std::size_t size,
                    std::size_t chunk) {
  std::string out;
  for (std::size_t at = 0; at < size; at += chunk) {
    out += prefix;
    out += pattern.slice(at, std::min(chunk, size - at));
  }
  return out;
}

TEST(ReplyVerifier, AcceptsCorrectRepliesCutAnywhere) {
  const PayloadPattern pattern('G', 4096);
  const std::string stream = replies(pattern, "GOT:", 10'000, 1000);
  for (std::size_t piece : {1UL, 3UL, 7UL, 1000UL, 4096UL}) {
    ReplyVerifier verifier(pattern, "GOT:");
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      ASSERT_TRUE(verifier.feed(std::string_view(stream).substr(at, piece))) << verifier.error();
    }
    EXPECT_EQ(verifier.payload_bytes(), 10'000U);
  }
}

TEST(ReplyVerifier, WithoutAPrefixChecksAPlainEcho) {
  const PayloadPattern pattern('\0', 4096);
  ReplyVerifier verifier(pattern, "");
  EXPECT_TRUE(verifier.feed(pattern.slice(0, 5000)));
  EXPECT_EQ(verifier.payload_bytes(), 5000U);
}

TEST(ReplyVerifier, CatchesAChangedByte) {
  const PayloadPattern pattern('G', 4096);
  std::string stream = replies(pattern, "GOT:", 3000, 1000);
  stream[1500] = stream[1500] == 'a' ? 'b' : 'a';
  ReplyVerifier verifier(pattern, "GOT:");
  EXPECT_FALSE(verifier.feed(stream));
  EXPECT_NE(verifier.error().find("payload differs"), std::string::npos) << verifier.error();
}

TEST(ReplyVerifier, CatchesALostByte) {
  const PayloadPattern pattern('G', 4096);
  std::string stream = replies(pattern, "GOT:", 3000, 1000);
  stream.erase(2000, 1);
  ReplyVerifier verifier(pattern, "GOT:");
  EXPECT_FALSE(verifier.feed(stream));
}

TEST(ReplyVerifier, CatchesADuplicatedChunk) {
  const PayloadPattern pattern('G', 4096);
  const std::string chunk = "GOT:" + std::string(pattern.slice(0, 100));
  ReplyVerifier verifier(pattern, "GOT:");
  EXPECT_TRUE(verifier.feed(chunk));
  EXPECT_FALSE(verifier.feed(chunk));
}

TEST(ReplyVerifier, CatchesAMissingOrBrokenPrefix) {
  const PayloadPattern pattern('G', 4096);
  ReplyVerifier missing(pattern, "GOT:");
  EXPECT_FALSE(missing.feed(pattern.slice(0, 10)));
  ReplyVerifier broken(pattern, "GOT:");
  EXPECT_FALSE(broken.feed("GOX:" + std::string(pattern.slice(0, 10))));
  ReplyVerifier empty_chunk(pattern, "GOT:");
  EXPECT_FALSE(empty_chunk.feed("GOT:GOT:" + std::string(pattern.slice(0, 10))));
}

TEST(PayloadPattern, NeverContainsTheAvoidedByteAndSlicesAreContiguous) {
  const PayloadPattern pattern('a', 1024);
  const std::string_view wrapped = pattern.slice(1000, 1024);  // crosses the block's end
  EXPECT_EQ(wrapped.find('a'), std::string_view::npos);
  EXPECT_EQ(wrapped.substr(24), pattern.slice(0, 1000));
}

}  // namespace
}  // namespace tasknet::bench
