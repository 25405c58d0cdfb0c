// A ring of provided buffers (IORING_REGISTER_PBUF_RING, 5.19) fed by one BufferPool: the kernel
// takes a buffer when a receive's data arrives and names it in the completion. It holds as many
// buffers as the pool keeps idle (a power of two); the pool gives buffers back here first, so the
// ring refills as connections finish with them.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "tasknet/buffer_pool.hpp"

namespace tasknet::drivers {

class ProvidedBuffers final : public detail::BufferRecycler {
 public:
  /// Registers the ring as `group` and fills it from `pool`. Throws std::system_error when the
  /// kernel refuses (before 5.19) or memory runs out.
  ProvidedBuffers(io_uring& uring, BufferPool& pool, std::uint16_t group);
  ProvidedBuffers(const ProvidedBuffers&) = delete;
  ProvidedBuffers& operator=(const ProvidedBuffers&) = delete;
  ~ProvidedBuffers();

  [[nodiscard]] std::uint16_t group() const noexcept { return group_; }
  [[nodiscard]] bool fed_by(const BufferPool& pool) const noexcept { return pool_ == &pool; }
  /// Its pool has gone: it is unregistered and holds nothing, and its group number is free.
  [[nodiscard]] bool retired() const noexcept { return pool_ == nullptr; }

  /// The memory of buffer `id`, which a completion says the kernel filled: the caller's now.
  [[nodiscard]] char* take(int id) noexcept {
    free_ids_.push_back(id);  // reserved for every id: cannot fail
    return lent_[static_cast<std::size_t>(id)].release();
  }

  bool take_back(detail::BufferMemory& memory) noexcept override;
  void pool_destroyed() noexcept override;

 private:
  /// Hands buffer `id` to the kernel, the bytes to go after the pool's headroom.
  void publish(int id) noexcept;
  /// Unregisters the ring: the kernel lends nothing more from it.
  void unregister() noexcept;
  /// Unregisters the ring, then gives what it held back to `pool`.
  void return_buffers_to(BufferPool& pool) noexcept;
  /// Unregisters the ring and frees what it held.
  void release() noexcept;

  io_uring* uring_;
  BufferPool* pool_;
  std::uint16_t group_;
  unsigned entries_;
  io_uring_buf_ring* ring_ = nullptr;       // registered with the kernel while not null
  std::vector<detail::BufferMemory> lent_;  // by buffer id: the memory in the kernel's hands
  std::vector<int> free_ids_;               // ids whose buffer a receive has taken
};

}  // namespace tasknet::drivers
