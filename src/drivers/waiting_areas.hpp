// The seed's recv_wait and send_wait, by descriptor: which task waits on each descriptor each
// way, and what is known of its readiness each way. Both kinds of driver keep one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tasknet/detail/waiter.hpp"

namespace tasknet::drivers {

/// What a driver knows of a descriptor's readiness in one direction.
enum class Readiness : std::uint8_t {
  unknown,    ///< nothing seen yet (or handed to a plain wait): an operation may try, a plain
              ///< wait must ask the backend
  ready,      ///< reported, and no operation has found it drained since
  not_ready,  ///< an operation got EAGAIN or a short read: the next change is news
  closed,     ///< hang-up or error reported: it will never block this way again, and no
              ///< further edge will say so, so nothing may mark it not ready
};

class WaitingAreas {
 public:
  struct Entry {
    detail::Waiter* waiter[2] = {nullptr, nullptr};  // indexed by Direction
    Readiness readiness[2] = {Readiness::unknown, Readiness::unknown};
    bool watched = false;  // an edge-triggered poller watches it already
  };

  static constexpr std::size_t index_of(Direction direction) noexcept {
    return direction == Direction::readable ? 0 : 1;
  }

  // Inline: each runs several times per request.
  [[nodiscard]] Readiness readiness(int fd, Direction direction) const noexcept {
    return static_cast<std::size_t>(fd) < entries_.size()
               ? entries_[fd].readiness[index_of(direction)]
               : Readiness::unknown;
  }
  void set_readiness(int fd, Direction direction, Readiness readiness) noexcept {
    if (static_cast<std::size_t>(fd) < entries_.size()) {
      Readiness& known = entries_[fd].readiness[index_of(direction)];
      if (known != Readiness::closed) known = readiness;
    }
    // A descriptor never seen here has no record to correct: its state stays unknown.
  }
  /// Records what an operation found: done leaves `fd` ready in `direction`; would_block or
  /// done_drained (EAGAIN, a short read) mark it not ready, so the next change is news.
  void record(int fd, Direction direction, detail::Attempt outcome) noexcept {
    set_readiness(fd, direction,
                  outcome == detail::Attempt::done ? Readiness::ready : Readiness::not_ready);
  }
  /// Whether an attempt of `waiter`'s operation finished it; records what it found.
  bool finished(const detail::Waiter& waiter, detail::Attempt attempt) noexcept {
    if (attempt != detail::Attempt::done) record(waiter.fd, waiter.direction, attempt);
    return attempt != detail::Attempt::would_block;
  }
  [[nodiscard]] Entry* find(int fd) noexcept {
    return static_cast<std::size_t>(fd) < entries_.size() ? &entries_[fd] : nullptr;
  }
  /// Throws std::bad_alloc.
  Entry& at(int fd) {
    if (static_cast<std::size_t>(fd) >= entries_.size()) entries_.resize(fd + 1);
    return entries_[fd];
  }

  /// Puts `waiter` in its descriptor's slot for its direction. Throws std::logic_error when
  /// another task waits there.
  void enter(Entry& entry, detail::Waiter& waiter) {
    detail::Waiter*& slot = entry.waiter[index_of(waiter.direction)];
    if (slot != nullptr) {
      throw std::logic_error("tasknet: another task already waits until fd " +
                             std::to_string(waiter.fd) + " is " +
                             std::string(to_string(waiter.direction)) +
                             "; at most one task may wait on a descriptor in each direction");
    }
    slot = &waiter;
    ++count_;
  }
  /// Takes `waiter` out of its slot; returns whether it was there.
  bool leave(const detail::Waiter& waiter) noexcept {
    if (static_cast<std::size_t>(waiter.fd) >= entries_.size()) return false;
    detail::Waiter*& slot = entries_[waiter.fd].waiter[index_of(waiter.direction)];
    if (slot != &waiter) return false;
    slot = nullptr;
    --count_;
    return true;
  }
  /// The number's next owner starts with nothing known.
  void reset(int fd) noexcept {
    if (static_cast<std::size_t>(fd) < entries_.size()) entries_[fd] = Entry{};
  }

  /// Waiters in the areas.
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  std::vector<Entry> entries_;
  std::size_t count_ = 0;
};

}  // namespace tasknet::drivers
