// Counts a test program's heap allocations by replacing the global operator new and delete.
// Include it in exactly one source of the program (it defines the replacements) and read
// testing::allocations() before and after what is measured. Not with ThreadSanitizer, whose
// runtime replaces these operators too.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace tasknet::testing {

inline std::atomic<long> allocation_count{0};

/// Allocations through operator new so far, in every thread.
[[nodiscard]] inline long allocations() noexcept {
  return allocation_count.load(std::memory_order_relaxed);
}

}  // namespace tasknet::testing

// These replace the global operators as a pair over malloc and free; GCC, seeing free() inlined
// where a new-expression's pointer ends, takes the pair for a mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  tasknet::testing::allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc{};
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
