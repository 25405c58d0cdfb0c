// BufferPool: lending, taking back, keeping at most max_idle (or, after trim(), what the last
// period used), handing the large buffers it frees back to the system, and the headroom it
// reserves.
#include "tasknet/buffer_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
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

/// Whether the page holding `address` is mapped in this process (mincore: ENOMEM if not).
bool page_mapped(const char* address) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(address) / page * page;
  unsigned char resident = 0;
  return ::mincore(reinterpret_cast<void*>(start), page, &resident) == 0;
}

TEST(BufferPool, LargeBuffersThatTrimFreesAreUnmapped) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP()
      << "under AddressSanitizer every buffer comes from new[], to keep its bounds checked";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP()
      << "under AddressSanitizer every buffer comes from new[], to keep its bounds checked";
#endif
#endif
  constexpr std::size_t size = 64 * 1024;
  BufferPool pool(size, 2);
  std::vector<char*> memory;
  {
    std::vector<BufferPool::Buffer> held;
    for (int i = 0; i < 10; ++i) {
      held.push_back(pool.borrow());
      std::memset(held.back().data(), 'x', size);  // every page of it resident
      memory.push_back(held.back().data());
    }
    pool.trim();  // from now on only trim() frees
  }
  pool.trim();  // the period that ends had all 10 out when it began: kept
  EXPECT_EQ(pool.idle_count(), 10U);
  pool.trim();  // an idle period: back to max_idle
  ASSERT_EQ(pool.idle_count(), 2U);
  std::size_t still_mapped = 0;
  for (const char* buffer : memory) {
    if (page_mapped(buffer) || page_mapped(buffer + size - 1)) ++still_mapped;
  }
  EXPECT_EQ(still_mapped, 2U) << "the 8 buffers trim() freed are unmapped, their pages returned";
}

TEST(BufferPool, SmallBuffersComeAndGoLikeLargeOnes) {
  BufferPool pool(100, 1, 16);
  {
    BufferPool::Buffer a = pool.borrow();
    BufferPool::Buffer b = pool.borrow();
    std::memset(a.data(), 'a', a.size());
    std::memset(b.data(), 'b', b.size());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % alignof(std::max_align_t), 0U);
  }
  EXPECT_EQ(pool.idle_count(), 1U) << "one kept, one freed";
  pool.trim();
  pool.trim();
  EXPECT_EQ(pool.idle_count(), 1U);
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
