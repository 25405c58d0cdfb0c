// poll(2): no descriptor limit; one pollfd per descriptor with a waiting task, kept dense so a
// wait passes only those.
#include <poll.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "drivers/readiness/poller.hpp"

namespace tasknet::drivers {
namespace {

class PollPoller final : public Poller {
 public:
  std::string_view name() const noexcept override { return "poll"; }

  void watch(int fd, Direction direction, LastSeen /*level-triggered*/) override {
    if (static_cast<std::size_t>(fd) >= slot_of_fd_.size()) slot_of_fd_.resize(fd + 1, no_slot);
    if (slot_of_fd_[fd] == no_slot) {
      slot_of_fd_[fd] = pollfds_.size();
      pollfds_.push_back(pollfd{fd, 0, 0});
    }
    pollfd& entry = pollfds_[slot_of_fd_[fd]];
    entry.events = static_cast<short>(entry.events | bit_of(direction));
  }

  void unwatch(int fd, Direction direction) noexcept override {
    if (static_cast<std::size_t>(fd) >= slot_of_fd_.size() || slot_of_fd_[fd] == no_slot) return;
    pollfd& entry = pollfds_[slot_of_fd_[fd]];
    entry.events = static_cast<short>(entry.events & ~bit_of(direction));
    if (entry.events == 0) remove(fd);
  }

  void forget(int fd) noexcept override {
    if (static_cast<std::size_t>(fd) < slot_of_fd_.size() && slot_of_fd_[fd] != no_slot) remove(fd);
  }

  std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    const int count = ::poll(pollfds_.data(), pollfds_.size(), timeout_in_ms(timeout));
    events_.clear();
    if (count < 0) {
      if (errno == EINTR) return events_;
      throw std::system_error(errno, std::system_category(), "poll");
    }
    for (const pollfd& entry : pollfds_) {
      if (entry.revents == 0) continue;
      // Errors and hang-ups wake both directions: the waiting operation reports what happened.
      const bool failed = (entry.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      events_.push_back({entry.fd, failed || (entry.revents & POLLIN) != 0,
                         failed || (entry.revents & POLLOUT) != 0});
      if (events_.size() == static_cast<std::size_t>(count)) break;
    }
    return events_;
  }

 private:
  static constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

  static constexpr short bit_of(Direction direction) noexcept {
    return direction == Direction::readable ? POLLIN : POLLOUT;
  }

  void remove(int fd) noexcept {
    const std::size_t slot = slot_of_fd_[fd];
    pollfds_[slot] = pollfds_.back();
    slot_of_fd_[pollfds_[slot].fd] = slot;
    pollfds_.pop_back();
    slot_of_fd_[fd] = no_slot;
  }

  std::vector<pollfd> pollfds_;
  std::vector<std::size_t> slot_of_fd_;
  std::vector<PollEvent> events_;
};

}  // namespace

std::unique_ptr<Poller> make_poll_poller() {
  return std::make_unique<PollPoller>();
}

}  // namespace tasknet::drivers
