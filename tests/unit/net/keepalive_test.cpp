// KeepAlive's periods: what --keepalive S turns into, and when a silent peer is given up on.
#include "tasknet/net/keepalive.hpp"

#include <gtest/gtest.h>

namespace tasknet {
namespace {

using std::chrono::seconds;

TEST(KeepAlive, ProbesAThirdOfTheSilenceApartThreeTimes) {
  const KeepAlive keepalive = KeepAlive::after_silence_of(seconds{60});
  EXPECT_EQ(keepalive.idle, seconds{60});
  EXPECT_EQ(keepalive.interval, seconds{20});
  EXPECT_EQ(keepalive.probes, 3);
  EXPECT_EQ(keepalive.dead_after(), seconds{120});
}

TEST(KeepAlive, ShortSilencesStillProbeAtLeastASecondApart) {
  EXPECT_EQ(KeepAlive::after_silence_of(seconds{1}).interval, seconds{1});
  EXPECT_EQ(KeepAlive::after_silence_of(seconds{2}).interval, seconds{1});
  EXPECT_EQ(KeepAlive::after_silence_of(seconds{4}).interval, seconds{2});  // rounded up
  EXPECT_EQ(KeepAlive::after_silence_of(seconds{2}).dead_after(), seconds{5});
}

}  // namespace
}  // namespace tasknet
