// Lending and taking back fixed-size buffers.
#include "tasknet/buffer_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#if defined(__SANITIZE_ADDRESS__)
#define TASKNET_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASKNET_ADDRESS_SANITIZER 1
#endif
#endif

namespace tasknet {
namespace {

// Each buffer's memory begins with a header the size of the strictest alignment operator new
// gives (so the bytes after it keep it): the length of its mapping, or 0 for memory from new[].
constexpr std::size_t header_size = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
static_assert(header_size >= sizeof(std::size_t));

// From this size on a buffer is a mapping of its own, so that freeing it hands its pages back to
// the system: in the heap, a burst's worth of large buffers would leave pages the allocator keeps,
// pinned between the small blocks allocated meanwhile. Rounding up to whole pages costs a
// quarter of a buffer of this size at most, in address space only (pages never touched are not
// resident). Under AddressSanitizer every buffer comes from new[], where it checks their bounds.
#ifdef TASKNET_ADDRESS_SANITIZER
constexpr std::size_t mapped_from = SIZE_MAX;
#else
constexpr std::size_t mapped_from = std::size_t{16} * 1024;
#endif

}  // namespace

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

detail::BufferMemory BufferPool::allocate() const {
  const std::size_t bytes = header_size + buffer_size_;
  std::size_t mapped = 0;
  char* start = nullptr;
  if (buffer_size_ >= mapped_from) {
    void* const mapping =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) throw std::bad_alloc();
    start = static_cast<char*>(mapping);
    mapped = bytes;
  } else {
    start = new char[bytes];
  }
  std::memcpy(start, &mapped, sizeof mapped);
  return detail::BufferMemory(start + header_size);
}

void detail::FreeBufferMemory::operator()(char* memory) const noexcept {
  char* const start = memory - header_size;
  std::size_t mapped = 0;
  std::memcpy(&mapped, start, sizeof mapped);
  if (mapped != 0) {
    ::munmap(start, mapped);
  } else {
    delete[] start;
  }
}

}  // namespace tasknet
