// Storage for the stop callbacks of cancellable waits: blocks of one size, recycled through an
// intrusive free list. Once as many blocks exist as waits have ever been stoppable at once, taking
// and giving back allocate nothing, and giving back cannot fail.
#pragma once

#include <cstddef>
#include <new>

namespace tasknet::detail {

class BlockPool {
 public:
  BlockPool() = default;
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  ~BlockPool() {
    while (free_ != nullptr) {
      FreeBlock* next = free_->next;
      ::operator delete(free_);
      free_ = next;
    }
  }

  /// A block of at least `size` bytes. Every caller asks for the same size: a request for a
  /// larger one is served by new memory, not from the list.
  [[nodiscard]] void* take(std::size_t size) {
    const std::size_t wanted = size < sizeof(FreeBlock) ? sizeof(FreeBlock) : size;
    if (wanted == block_size_ && free_ != nullptr) {
      FreeBlock* block = free_;
      free_ = block->next;
      return block;
    }
    if (block_size_ == 0) block_size_ = wanted;
    return ::operator new(wanted);
  }

  /// Returns a block from take(`size`).
  void give_back(void* block, std::size_t size) noexcept {
    const std::size_t wanted = size < sizeof(FreeBlock) ? sizeof(FreeBlock) : size;
    if (wanted != block_size_) {
      ::operator delete(block);
      return;
    }
    free_ = new (block) FreeBlock{free_};
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  FreeBlock* free_ = nullptr;
  std::size_t block_size_ = 0;  // the size of the blocks on the list; 0 before the first
};

}  // namespace tasknet::detail
