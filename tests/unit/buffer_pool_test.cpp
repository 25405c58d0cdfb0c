// BufferPool: lending, taking back, keeping at most max_idle, and the headroom it reserves.
#include "tasknet/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>

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
