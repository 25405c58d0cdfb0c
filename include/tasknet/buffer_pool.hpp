// Fixed-size buffers lent to connections only while they have data in hand, so an idle
// connection holds no buffer. One pool per scheduler thread; not thread-safe.
//
// What a pool keeps, and what it gives back: it keeps every buffer lent out or held by a
// recycler, and idle ones up to max_idle until trim() is first called, then up to what the last
// period had in use at its busiest (see trim()). A buffer it frees goes back to the system at
// once: a buffer of 16 KiB or more (tasknet-echo's are 64 KiB) is a mapping of its own, which
// freeing unmaps, so its pages leave the resident set; a smaller one goes to operator delete[].
// (From the heap, a burst's large buffers left their pages in the allocator, pinned between the
// coroutine frames allocated meanwhile, and an io_uring server's RSS grew with every wave of
// connections.) So after a burst, a server that trims is back within two periods to what it
// keeps, however many bursts came before.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace tasknet {

class BufferPool;

namespace detail {

/// Frees a pool buffer's memory the way BufferPool made it: unmapped, or deleted.
struct FreeBufferMemory {
  void operator()(char* memory) const noexcept;
};

/// The memory of one pool buffer.
using BufferMemory = std::unique_ptr<char[], FreeBufferMemory>;

/// Where a pool gives its buffers back first, while it takes them: a driver that lends the
/// pool's buffers on (io_uring hands them to the kernel to receive into). The pool knows no more.
class BufferRecycler {
 public:
  /// Takes `memory` (leaving it empty) if there is room; returns whether it did.
  virtual bool take_back(BufferMemory& memory) noexcept = 0;
  /// The pool is being destroyed: lend none of its buffers again.
  virtual void pool_destroyed() noexcept = 0;

 protected:
  BufferRecycler() = default;
  BufferRecycler(const BufferRecycler&) = default;
  BufferRecycler& operator=(const BufferRecycler&) = default;
  ~BufferRecycler() = default;
};

struct BufferPoolAccess;

}  // namespace detail

class BufferPool {
 public:
  /// A borrowed buffer; goes back to its pool when destroyed. The pool must outlive it.
  class Buffer {
   public:
    /// Holds nothing.
    Buffer() noexcept = default;
    Buffer(Buffer&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), memory_(std::move(other.memory_)) {}
    Buffer& operator=(Buffer&& other) noexcept {
      if (this != &other) {
        Buffer old(std::move(*this));  // given back at the end of this block
        pool_ = std::exchange(other.pool_, nullptr);
        memory_ = std::move(other.memory_);
      }
      return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() {
      if (pool_ != nullptr) pool_->give_back(std::move(memory_));
    }

    [[nodiscard]] explicit operator bool() const noexcept { return memory_ != nullptr; }
    [[nodiscard]] char* data() noexcept { return memory_.get(); }
    /// The whole buffer, headroom included; 0 when it holds nothing.
    [[nodiscard]] std::size_t size() const noexcept {
      return pool_ != nullptr ? pool_->buffer_size() : 0;
    }
    [[nodiscard]] std::span<char> span() noexcept { return {data(), size()}; }
    /// The pool's headroom: where received bytes begin.
    [[nodiscard]] std::size_t headroom() const noexcept {
      return pool_ != nullptr ? pool_->headroom() : 0;
    }

   private:
    friend class BufferPool;
    friend struct detail::BufferPoolAccess;
    Buffer(BufferPool& pool, detail::BufferMemory memory) noexcept
        : pool_(&pool), memory_(std::move(memory)) {}

    BufferPool* pool_ = nullptr;
    detail::BufferMemory memory_;
  };

  /// Buffers of `buffer_size` bytes; at most `max_idle` are kept for reuse, so a burst of
  /// borrowing does not pin its peak memory forever (and a backend's ring of provided buffers
  /// fed by this pool holds about as many), until trim() is first called. Socket::receive fills
  /// each buffer after its first `headroom` bytes, which are the borrower's: room for a reply's
  /// header or iovecs.
  explicit BufferPool(std::size_t buffer_size, std::size_t max_idle = 256,
                      std::size_t headroom = 0);
  BufferPool(const BufferPool&) = delete;  // a recycler may point at it
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();

  [[nodiscard]] Buffer borrow() { return Buffer{*this, take_memory()}; }

  [[nodiscard]] std::size_t buffer_size() const noexcept { return buffer_size_; }
  [[nodiscard]] std::size_t headroom() const noexcept { return headroom_; }
  /// How many bytes a receive may put in a buffer: all of it after the headroom.
  [[nodiscard]] std::size_t receive_size() const noexcept { return buffer_size_ - headroom_; }
  [[nodiscard]] std::size_t max_idle() const noexcept { return max_idle_; }
  [[nodiscard]] std::size_t idle_count() const noexcept { return idle_.size(); }
  /// Buffers in use: lent out, or held by a recycler.
  [[nodiscard]] std::size_t in_use_count() const noexcept { return made_ - idle_.size(); }

  /// Ends a period of use; call it regularly (tasknet-echo does every second). It frees the idle
  /// buffers beyond what the period had in use at its busiest (and beyond max_idle). From the
  /// first call on, buffers given back are always kept, and only trim() frees them. So a load
  /// that needs more than max_idle buffers at once stops allocating and freeing them (io_uring
  /// holds a buffer while its reply's send is in flight: 500 busy connections hold about 500),
  /// and the memory of a burst goes back within two periods of its end (to the system, for
  /// buffers of 16 KiB or more: see the top of this file).
  void trim() noexcept;

 private:
  friend struct detail::BufferPoolAccess;

  [[nodiscard]] detail::BufferMemory take_memory() {
    detail::BufferMemory memory;
    if (idle_.empty()) {
      if (idle_.capacity() < std::min(made_ + 1, idle_limit_)) {
        idle_.reserve(std::max(made_ + 1, 2 * idle_.capacity()));  // room to keep every buffer
      }
      memory = allocate();
      ++made_;
    } else {
      memory = std::move(idle_.back());
      idle_.pop_back();
    }
    if (in_use_count() > peak_in_use_) peak_in_use_ = in_use_count();
    return memory;
  }
  void give_back(detail::BufferMemory memory) noexcept {
    // One idle buffer is kept back from the recycler, for the receives that borrow when it has
    // run dry: they take it one at a time, so it spares them an allocation each.
    if (recycler_ != nullptr && (!idle_.empty() || idle_limit_ == 0) &&
        recycler_->take_back(memory)) {
      return;
    }
    if (idle_.size() < idle_limit_) {
      idle_.push_back(std::move(memory));  // reserved (to made_ at most): cannot throw
      return;
    }
    --made_;  // and freed
  }
  [[nodiscard]] detail::BufferMemory allocate() const;

  std::size_t buffer_size_;
  std::size_t max_idle_;
  std::size_t headroom_;
  std::size_t idle_limit_;       // max_idle_; after a trim(), no limit: trim() frees
  std::size_t made_ = 0;         // buffers allocated and not freed: idle, lent or recycled
  std::size_t peak_in_use_ = 0;  // the most in use at once since the last trim()
  std::vector<detail::BufferMemory> idle_;  // room for min(made_, idle_limit_)
  detail::BufferRecycler* recycler_ = nullptr;
};

namespace detail {

/// For drivers and receives (not for handlers): attaching a recycler, moving memory in and out.
struct BufferPoolAccess {
  [[nodiscard]] static BufferRecycler* recycler(const BufferPool& pool) noexcept {
    return pool.recycler_;
  }
  static void set_recycler(BufferPool& pool, BufferRecycler* recycler) noexcept {
    pool.recycler_ = recycler;
  }
  /// An idle buffer's memory, or new memory: to lend on, or to receive into.
  [[nodiscard]] static BufferMemory take_memory(BufferPool& pool) { return pool.take_memory(); }
  /// Memory of the pool's size (from take_memory, or that a recycler lent on), as a Buffer of
  /// the pool.
  [[nodiscard]] static BufferPool::Buffer adopt(BufferPool& pool, char* memory) noexcept {
    return BufferPool::Buffer{pool, BufferMemory(memory)};
  }
};

}  // namespace detail

}  // namespace tasknet
