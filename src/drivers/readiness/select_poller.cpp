// The seed's own backend: select(2) over the descriptors that have a waiting task, exactly as the
// seed passes recv_wait and send_wait to select(). Limited to FD_SETSIZE descriptors, and says so.
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "drivers/readiness/poller.hpp"

namespace tasknet::drivers {
namespace {

class SelectPoller final : public Poller {
 public:
  SelectPoller() {
    FD_ZERO(&interest_[0]);
    FD_ZERO(&interest_[1]);
  }

  std::string_view name() const noexcept override { return "select"; }

  void watch(int fd, Direction direction, LastSeen /*level-triggered*/) override {
    if (fd < 0 || fd >= FD_SETSIZE) {
      throw std::system_error(EINVAL, std::system_category(),
                              "select backend: cannot wait on fd " + std::to_string(fd) +
                                  ", select() is limited to descriptors below FD_SETSIZE (" +
                                  std::to_string(FD_SETSIZE) + "); use the poll or epoll backend");
    }
    FD_SET(fd, &interest_[index_of(direction)]);
    max_fd_ = std::max(max_fd_, fd);
  }

  void unwatch(int fd, Direction direction) noexcept override {
    FD_CLR(fd, &interest_[index_of(direction)]);
    while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &interest_[0]) && !FD_ISSET(max_fd_, &interest_[1])) {
      --max_fd_;
    }
  }

  void forget(int fd) noexcept override {
    if (fd < 0 || fd >= FD_SETSIZE) return;
    unwatch(fd, Direction::readable);
    unwatch(fd, Direction::writable);
  }

  std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    fd_set readable = interest_[0];
    fd_set writable = interest_[1];
    timeval limit{};
    if (timeout) {
      const auto us = std::chrono::ceil<std::chrono::microseconds>(*timeout).count();
      limit.tv_sec = static_cast<time_t>(us / 1'000'000);
      limit.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    }
    const int count =
        ::select(max_fd_ + 1, &readable, &writable, nullptr, timeout ? &limit : nullptr);
    events_.clear();
    if (count < 0) {
      if (errno == EINTR) return events_;
      throw std::system_error(errno, std::system_category(), "select");
    }
    for (int fd = 0; fd <= max_fd_ && events_.size() < static_cast<std::size_t>(count); ++fd) {
      const bool r = FD_ISSET(fd, &readable);
      const bool w = FD_ISSET(fd, &writable);
      if (r || w) events_.push_back({fd, r, w});
    }
    return events_;
  }

 private:
  static constexpr int index_of(Direction direction) noexcept {
    return direction == Direction::readable ? 0 : 1;
  }

  fd_set interest_[2];  // [0]: the seed's recv_wait, [1]: its send_wait
  int max_fd_ = -1;
  std::vector<PollEvent> events_;
};

}  // namespace

std::unique_ptr<Poller> make_select_poller() {
  return std::make_unique<SelectPoller>();
}

}  // namespace tasknet::drivers
