// Lending and taking back fixed-size buffers.
#include "tasknet/buffer_pool.hpp"

#include <stdexcept>

namespace tasknet {

BufferPool::BufferPool(std::size_t buffer_size, std::size_t max_idle)
    : buffer_size_(buffer_size), max_idle_(max_idle) {
  if (buffer_size == 0) throw std::invalid_argument("tasknet: BufferPool of 0-byte buffers");
  idle_.reserve(max_idle);
}

BufferPool::Buffer BufferPool::borrow() {
  if (idle_.empty()) return Buffer{*this, std::make_unique_for_overwrite<char[]>(buffer_size_)};
  std::unique_ptr<char[]> memory = std::move(idle_.back());
  idle_.pop_back();
  return Buffer{*this, std::move(memory)};
}

void BufferPool::give_back(std::unique_ptr<char[]> memory) noexcept {
  if (idle_.size() < max_idle_) idle_.push_back(std::move(memory));  // reserved: cannot throw
}

}  // namespace tasknet
