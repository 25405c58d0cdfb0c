// Registering, feeding and tearing down a ring of provided buffers.
#include "drivers/uring/provided_buffers.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace tasknet::drivers {
namespace {

unsigned entries_for(const BufferPool& pool) noexcept {
  const std::size_t most = std::min<std::size_t>(pool.max_idle(), 32768);
  unsigned entries = 1;
  while (std::size_t{entries} * 2 <= most) entries *= 2;
  return entries;
}

}  // namespace

ProvidedBuffers::ProvidedBuffers(io_uring& uring, BufferPool& pool, std::uint16_t group)
    : uring_(&uring), pool_(&pool), group_(group), entries_(entries_for(pool)) {
  const std::size_t bytes = entries_ * sizeof(io_uring_buf);
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) throw std::system_error(errno, std::system_category(), "mmap");
  auto* ring = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_ring_init(ring);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uintptr_t>(ring);
  registration.ring_entries = entries_;
  registration.bgid = group_;
  if (const int failed = io_uring_register_buf_ring(uring_, &registration, 0); failed < 0) {
    ::munmap(ring, bytes);
    throw std::system_error(-failed, std::system_category(), "io_uring_register_buf_ring");
  }
  ring_ = ring;  // registered from here on
  lent_.resize(entries_);
  free_ids_.reserve(entries_);  // so that take() cannot fail
  try {
    for (unsigned id = 0; id < entries_; ++id) {
      lent_[id] = detail::BufferPoolAccess::take_memory(pool);
      publish(static_cast<int>(id));
    }
  } catch (...) {
    return_buffers_to(pool);
    throw;
  }
  detail::BufferPoolAccess::set_recycler(pool, this);
}

ProvidedBuffers::~ProvidedBuffers() {
  BufferPool* const pool = pool_;
  if (pool == nullptr) {
    release();
    return;
  }
  detail::BufferPoolAccess::set_recycler(*pool, nullptr);
  return_buffers_to(*pool);
}

bool ProvidedBuffers::take_back(detail::BufferMemory& memory) noexcept {
  // Every buffer is in the kernel's hands, or the ring is gone.
  if (free_ids_.empty() || ring_ == nullptr) return false;
  const int id = free_ids_.back();
  free_ids_.pop_back();
  lent_[static_cast<std::size_t>(id)] = std::move(memory);
  publish(id);
  return true;
}

void ProvidedBuffers::pool_destroyed() noexcept {
  pool_ = nullptr;
  release();  // no receive can be waiting on it: the pool outlives every receive using it
}

void ProvidedBuffers::publish(int id) noexcept {
  char* const start = lent_[static_cast<std::size_t>(id)].get() + pool_->headroom();
  io_uring_buf_ring_add(ring_, start, static_cast<unsigned>(pool_->receive_size()),
                        static_cast<unsigned short>(id), io_uring_buf_ring_mask(entries_), 0);
  io_uring_buf_ring_advance(ring_, 1);
}

void ProvidedBuffers::unregister() noexcept {
  if (ring_ != nullptr) {
    io_uring_unregister_buf_ring(uring_, group_);
    ::munmap(ring_, entries_ * sizeof(io_uring_buf));
  }
  ring_ = nullptr;
}

void ProvidedBuffers::return_buffers_to(BufferPool& pool) noexcept {
  unregister();  // the kernel lets go first
  for (detail::BufferMemory& memory : lent_) {
    // Kept idle, or freed: the pool counts the buffers it has made.
    if (memory) const auto back = detail::BufferPoolAccess::adopt(pool, memory.release());
  }
  release();
}

void ProvidedBuffers::release() noexcept {
  unregister();
  lent_.clear();
  free_ids_.clear();
}

}  // namespace tasknet::drivers
