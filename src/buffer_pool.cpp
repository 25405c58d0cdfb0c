// Lending and taking back fixed-size buffers.
#include "tasknet/buffer_pool.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>

namespace tasknet {

BufferPool::BufferPool(std::size_t buffer_size, std::size_t max_idle, std::size_t headroom)
    : buffer_size_(buffer_size), max_idle_(max_idle), headroom_(headroom), idle_limit_(max_idle) {
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
  if (recycler_ != nullptr) recycler_->pool_destroyed();
}

void BufferPool::trim() noexcept {
  if (idle_.capacity() < made_) {  // room to keep every buffer when it comes back
    try {
      idle_.reserve(made_);
    } catch (const std::bad_alloc&) {
      return;  // the next trim() tries again
    }
  }
  idle_limit_ = SIZE_MAX;  // from now on only trim() frees
  const std::size_t keep = std::max(max_idle_, peak_in_use_);
  if (idle_.size() > keep) {
    // The oldest first: at the bottom of the stack, they are the coldest.
    const std::size_t excess = idle_.size() - keep;
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(excess));
    made_ -= excess;
  }
  peak_in_use_ = in_use_count();  // the next period begins with what is out now
}

std::unique_ptr<char[]> BufferPool::allocate() const {
  return std::make_unique_for_overwrite<char[]>(buffer_size_);
}

}  // namespace tasknet
