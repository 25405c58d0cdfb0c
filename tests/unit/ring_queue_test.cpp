#include "tasknet/detail/ring_queue.hpp"

#include <gtest/gtest.h>

namespace tasknet::detail {
namespace {

TEST(RingQueue, KeepsFifoOrderAcrossWrapAndGrowth) {
  RingQueue<int> queue;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so the head wraps many times while the ring grows past 64.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round * 3; ++i) queue.push_back(next_in++);
    for (int i = 0; i < round * 2; ++i) EXPECT_EQ(queue.pop_front(), next_out++);
  }
  while (!queue.empty()) EXPECT_EQ(queue.pop_front(), next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST(RingQueue, ClearEmptiesIt) {
  RingQueue<int> queue;
  for (int i = 0; i < 100; ++i) queue.push_back(i);
  queue.clear();
  EXPECT_TRUE(queue.empty());
  queue.push_back(7);
  EXPECT_EQ(queue.pop_front(), 7);
}

}  // namespace
}  // namespace tasknet::detail
