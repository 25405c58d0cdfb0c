// epoll(7), edge-triggered: each descriptor is registered once, for both directions, the first
// time a task waits on it, and stays registered until it is forgotten. Waiting after EAGAIN costs
// no system call; the scheduler keeps what the edges said, as Tokio and mio do. The only file that
// includes <sys/epoll.h>.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "drivers/readiness/poller.hpp"

namespace tasknet::drivers {
namespace {

constexpr std::uint32_t registered_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

class EpollPoller final : public Poller {
 public:
  EpollPoller() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), events_(256) {
    if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  }
  ~EpollPoller() override { ::close(epoll_fd_); }

  std::string_view name() const noexcept override { return "epoll"; }
  bool edge_triggered() const noexcept override { return true; }

  void watch(int fd, Direction /*both are registered*/, LastSeen last_seen) override {
    if (static_cast<std::size_t>(fd) >= registered_.size()) registered_.resize(fd + 1, 0);
    if (registered_[fd] && last_seen == LastSeen::would_block) return;  // the next edge will come
    epoll_event event{};
    event.events = registered_events;
    event.data.fd = fd;
    if (!registered_[fd]) {
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
        throw std::system_error(errno, std::system_category(),
                                "epoll_ctl(ADD) of fd " + std::to_string(fd));
      }
      registered_[fd] = 1;  // adding reports the descriptor if it is ready already
    } else {
      // Nothing guarantees an edge is still to come: re-arming makes epoll look at the level now.
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) {
        throw std::system_error(errno, std::system_category(),
                                "epoll_ctl(MOD) of fd " + std::to_string(fd));
      }
    }
  }

  void unwatch(int /*fd*/, Direction /*direction*/) noexcept override {
    // Registration lasts as long as the descriptor: edges that come while no task waits are
    // remembered by the scheduler, not re-armed here.
  }

  void forget(int fd) noexcept override {
    if (static_cast<std::size_t>(fd) >= registered_.size() || !registered_[fd]) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    registered_[fd] = 0;
  }

  std::span<const PollEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    const int count = ::epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()),
                                   timeout_in_ms(timeout));
    ready_.clear();
    if (count < 0) {
      if (errno == EINTR) return ready_;
      throw std::system_error(errno, std::system_category(), "epoll_wait");
    }
    for (int i = 0; i < count; ++i) {
      const std::uint32_t got = events_[i].events;
      const bool failed = (got & (EPOLLERR | EPOLLHUP)) != 0;
      const bool read_closed = failed || (got & EPOLLRDHUP) != 0;
      ready_.push_back({.fd = events_[i].data.fd,
                        .readable = read_closed || (got & EPOLLIN) != 0,
                        .writable = failed || (got & EPOLLOUT) != 0,
                        .read_closed = read_closed,
                        .write_closed = failed});
    }
    // A full batch hints at more: take a larger one next time.
    if (static_cast<std::size_t>(count) == events_.size() && events_.size() < 65536) {
      events_.resize(events_.size() * 2);
    }
    return ready_;
  }

 private:
  int epoll_fd_;
  std::vector<std::uint8_t> registered_;  // by fd; bytes, not bits: read on every park
  std::vector<epoll_event> events_;
  std::vector<PollEvent> ready_;
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller() {
  return std::make_unique<EpollPoller>();
}

}  // namespace tasknet::drivers
