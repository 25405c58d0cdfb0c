// Lending and taking back fixed-size buffers.
#include "tasknet/buffer_pool.hpp"

#include <stdexcept>

namespace tasknet {

BufferPool::BufferPool(std::size_t buffer_size, std::size_t max_idle)
    : buffer_size_(buffer_size), max_idle_(max_idle) {
  if (buffer_size == 0) throw std::invalid_argument("tasknet: BufferPool of 0-byte buffers");
  idle_.reserve(max_idle);
}

std::unique_ptr<char[]> BufferPool::allocate() const {
  return std::make_unique_for_overwrite<char[]>(buffer_size_);
}

}  // namespace tasknet
