// BufferPool: lending, taking back, keeping at most max_idle (or, after trim(), what the last
// period used), and the headroom it reserves.
#include "tasknet/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

namespace tasknet {
namespace {

TEST(BufferPool, ABufferComesBackWhenDestroyedAndIsLentAgain) {
  BufferPool pool(32, 4);
  char* first = nullptr;
  {
    BufferPool::Buffer buffer = pool.borrow();
    ASSERT_TRUE(buffer);
    EXPECT_EQ(buffer.size(), 32U);
    first = buffer.data();
    EXPECT_EQ(pool.idle_count(), 0U);
  }
  EXPECT_EQ(pool.idle_count(), 1U);
  EXPECT_EQ(pool.borrow().data(), first) << "an idle buffer is lent before a new one";
}

TEST(BufferPool, KeepsNoMoreThanMaxIdle) {
  BufferPool pool(32, 2);
  {
    BufferPool::Buffer a = pool.borrow();
    BufferPool::Buffer b = pool.borrow();
    BufferPool::Buffer c = pool.borrow();
  }
  EXPECT_EQ(pool.idle_count(), 2U);
}

/// Borrows `count` buffers at once, then gives them all back.
void borrow_at_once(BufferPool& pool, std::size_t count) {
  std::vector<BufferPool::Buffer> held;
  for (std::size_t i = 0; i < count; ++i) held.push_back(pool.borrow());
  EXPECT_EQ(pool.in_use_count(), count);
}

TEST(BufferPool, TrimKeepsWhatTheLastPeriodUsedAtItsBusiestThenLetsItGo) {
  BufferPool pool(32, 2);
  borrow_at_once(pool, 10);
  EXPECT_EQ(pool.idle_count(), 2U) << "before any trim(), max_idle";
  pool.trim();  // the period that ends needed 10 at once
  EXPECT_EQ(pool.idle_count(), 2U);
  borrow_at_once(pool, 10);
  EXPECT_EQ(pool.idle_count(), 10U) << "a steady load keeps what it needs";
  borrow_at_once(pool, 12);
  EXPECT_EQ(pool.idle_count(), 12U) << "and what it needs more, at once";
  pool.trim();
  EXPECT_EQ(pool.idle_count(), 12U);
  borrow_at_once(pool, 6);
  pool.trim();
  EXPECT_EQ(pool.idle_count(), 6U) << "this period needed 6 at its busiest";
  borrow_at_once(pool, 3);
  pool.trim();
  EXPECT_EQ(pool.idle_count(), 3U) << "a quieter period lets the rest go";
  pool.trim();
  EXPECT_EQ(pool.idle_count(), 2U) << "an idle period: back to max_idle";
  EXPECT_EQ(pool.in_use_count(), 0U);
}

TEST(BufferPool, ABufferOutAcrossATrimCountsInTheNextPeriod) {
  BufferPool pool(32, 0);
  BufferPool::Buffer kept = pool.borrow();
  pool.trim();  // one in use at the busiest: keep one
  EXPECT_EQ(pool.in_use_count(), 1U) << "trim() frees only idle buffers";
  kept = BufferPool::Buffer{};
  EXPECT_EQ(pool.idle_count(), 1U);
  pool.trim();  // it was in use when this period began
  EXPECT_EQ(pool.idle_count(), 1U);
  pool.trim();  // a period with none in use
  EXPECT_EQ(pool.idle_count(), 0U);
  EXPECT_EQ(pool.in_use_count(), 0U);
}

TEST(BufferPool, AnEmptyBufferHoldsNothingAndMovingLeavesOneEmpty) {
  BufferPool pool(32, 4);
  BufferPool::Buffer empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.size(), 0U);
  BufferPool::Buffer lent = pool.borrow();
  BufferPool::Buffer moved = std::move(lent);
  EXPECT_FALSE(lent);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_TRUE(moved);
  EXPECT_EQ(pool.idle_count(), 0U);
}

TEST(BufferPool, MoveAssignmentGivesBackWhatTheTargetHeld) {
  BufferPool pool(32, 4);
  BufferPool::Buffer target = pool.borrow();
  BufferPool::Buffer source = pool.borrow();
  char* const moved_memory = source.data();
  target = std::move(source);
  EXPECT_EQ(target.data(), moved_memory);
  EXPECT_EQ(pool.idle_count(), 1U) << "the target's old buffer went back";
  target = BufferPool::Buffer{};
  EXPECT_EQ(pool.idle_count(), 2U);
}

TEST(BufferPool, RejectsEmptyBuffersAndHeadroomThatLeavesNoRoom) {
  EXPECT_THROW(BufferPool(0), std::invalid_argument);
  EXPECT_THROW(BufferPool(32, 4, 32), std::invalid_argument);
  EXPECT_EQ(BufferPool(32, 4, 31).headroom(), 31U);
}

}  // namespace
}  // namespace tasknet
