// The scheduler's waiting area for deadlines: a binary min-heap of waiters ordered by deadline,
// then arrival. Each waiter knows its slot, so a wait that ends early leaves in O(log n).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "tasknet/detail/waiter.hpp"

namespace tasknet::detail {

class TimerHeap {
 public:
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] Waiter* earliest() const noexcept { return heap_.empty() ? nullptr : heap_[0]; }

  /// Makes room for one more, so that the next push() cannot fail.
  void reserve_one() {
    if (heap_.size() == heap_.capacity()) heap_.reserve(heap_.empty() ? 64 : 2 * heap_.size());
  }

  void push(Waiter& waiter) {
    waiter.timer_sequence = next_sequence_++;
    waiter.timer_slot = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(&waiter);
    sift_up(waiter.timer_slot);
  }

  /// After the waiter's deadline was moved later: puts it back in order.
  void moved_later(Waiter& waiter) noexcept { sift_down(waiter.timer_slot); }

  void erase(Waiter& waiter) noexcept {
    const std::size_t slot = waiter.timer_slot;
    waiter.timer_slot = Waiter::no_timer;
    Waiter* last = heap_.back();
    heap_.pop_back();
    if (slot == heap_.size()) return;  // it was the last one
    place(slot, last);
    sift_down(slot);
    sift_up(last->timer_slot);
  }

 private:
  static bool before(const Waiter* a, const Waiter* b) noexcept {
    return a->deadline != b->deadline ? a->deadline < b->deadline
                                      : a->timer_sequence < b->timer_sequence;
  }

  void place(std::size_t slot, Waiter* waiter) noexcept {
    heap_[slot] = waiter;
    waiter->timer_slot = static_cast<std::uint32_t>(slot);
  }

  void sift_up(std::size_t slot) noexcept {
    Waiter* moving = heap_[slot];
    while (slot > 0) {
      const std::size_t parent = (slot - 1) / 2;
      if (!before(moving, heap_[parent])) break;
      place(slot, heap_[parent]);
      slot = parent;
    }
    place(slot, moving);
  }

  void sift_down(std::size_t slot) noexcept {
    Waiter* moving = heap_[slot];
    for (;;) {
      std::size_t child = 2 * slot + 1;
      if (child >= heap_.size()) break;
      if (child + 1 < heap_.size() && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], moving)) break;
      place(slot, heap_[child]);
      slot = child;
    }
    place(slot, moving);
  }

  std::vector<Waiter*> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace tasknet::detail
