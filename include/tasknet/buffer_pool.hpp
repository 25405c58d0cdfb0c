// Fixed-size buffers lent to connections only while they have data in hand, so an idle
// connection holds no buffer. One pool per scheduler thread; not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace tasknet {

class BufferPool {
 public:
  /// A borrowed buffer; goes back to its pool when destroyed. The pool must outlive it.
  class Buffer {
   public:
    Buffer(Buffer&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), memory_(std::move(other.memory_)) {}
    Buffer& operator=(Buffer&&) = delete;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() {
      if (pool_ != nullptr) pool_->give_back(std::move(memory_));
    }

    [[nodiscard]] char* data() noexcept { return memory_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return pool_->buffer_size(); }
    [[nodiscard]] std::span<char> span() noexcept { return {data(), size()}; }

   private:
    friend class BufferPool;
    Buffer(BufferPool& pool, std::unique_ptr<char[]> memory) noexcept
        : pool_(&pool), memory_(std::move(memory)) {}

    BufferPool* pool_;
    std::unique_ptr<char[]> memory_;
  };

  /// Buffers of `buffer_size` bytes; at most `max_idle` are kept for reuse, so a burst of
  /// borrowing does not pin its peak memory forever.
  explicit BufferPool(std::size_t buffer_size, std::size_t max_idle = 256);

  [[nodiscard]] Buffer borrow() {
    if (idle_.empty()) return Buffer{*this, allocate()};
    std::unique_ptr<char[]> memory = std::move(idle_.back());
    idle_.pop_back();
    return Buffer{*this, std::move(memory)};
  }

  [[nodiscard]] std::size_t buffer_size() const noexcept { return buffer_size_; }
  [[nodiscard]] std::size_t idle_count() const noexcept { return idle_.size(); }

 private:
  void give_back(std::unique_ptr<char[]> memory) noexcept {
    if (idle_.size() < max_idle_) idle_.push_back(std::move(memory));  // reserved: cannot throw
  }
  [[nodiscard]] std::unique_ptr<char[]> allocate() const;

  std::size_t buffer_size_;
  std::size_t max_idle_;
  std::vector<std::unique_ptr<char[]>> idle_;
};

}  // namespace tasknet
