// The ready queue's storage: a FIFO in a ring buffer that doubles when full and never shrinks.
// Unlike std::deque, which allocates and frees a block every few dozen push/pop cycles, a warm
// ring allocates nothing, so a steady stream of wake-ups costs no heap traffic.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace tasknet::detail {

template <typename T>
class RingQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }

  /// The oldest element, removed. The queue must not be empty.
  T pop_front() noexcept {
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }

  void clear() noexcept { head_ = size_ = 0; }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 64 : slots_.size() * 2);  // stays a power of two
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace tasknet::detail
