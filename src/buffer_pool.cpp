// Lending and taking back fixed-size buffers.
#include "tasknet/buffer_pool.hpp"

#include <cstdint>
#include <stdexcept>

namespace tasknet {

BufferPool::BufferPool(std::size_t buffer_size, std::size_t max_idle, std::size_t headroom)
    : buffer_size_(buffer_size), max_idle_(max_idle), headroom_(headroom) {
  if (buffer_size == 0) throw std::invalid_argument("tasknet: BufferPool of 0-byte buffers");
  if (buffer_size > INT32_MAX) {  // a receive's result is an int, as recv's is on io_uring
    throw std::invalid_argument("tasknet: BufferPool buffers of more than 2 GiB");
  }
  if (headroom >= buffer_size) {
    throw std::invalid_argument("tasknet: BufferPool headroom leaves no room to receive into");
  }
  idle_.reserve(max_idle);
}

BufferPool::~BufferPool() {
  if (ring_ != nullptr) ring_->pool_destroyed();
}

std::unique_ptr<char[]> BufferPool::allocate() const {
  return std::make_unique_for_overwrite<char[]>(buffer_size_);
}

}  // namespace tasknet
