// The readiness driver: the seed's waiting areas (recv_wait and send_wait, by descriptor) over a
// poller that reports which descriptors are ready. Operations are attempted without blocking
// when the descriptor may be ready, and again when the poller reports it; what the attempts and
// the poller say is kept per descriptor (the readiness cache), so that waiting after EAGAIN on an
// edge-triggered poller costs no system call.
#include <memory>
#include <utility>

#include "drivers/drivers.hpp"
#include "drivers/readiness/poller.hpp"
#include "drivers/waiting_areas.hpp"

namespace tasknet::drivers {
namespace {

using detail::Attempt;
using detail::Waiter;
using detail::WaitState;

class ReadinessDriver final : public Driver {
 public:
  explicit ReadinessDriver(std::unique_ptr<Poller> poller)
      : poller_(std::move(poller)), edge_triggered_(poller_->edge_triggered()) {}

  std::string_view name() const noexcept override { return poller_->name(); }

  bool start(Waiter& waiter) override {
    Readiness known = Readiness::unknown;
    if (waiter.operation != nullptr) {
      known = areas_.readiness(waiter.fd, waiter.direction);
      if (known != Readiness::not_ready) {
        if (!spend_budget()) {
          // The task has had its share: it tries at its next turn, behind the other ready tasks.
          park(waiter, LastSeen::would_block);  // (no edge is needed: the attempt is queued)
          queue_attempt(waiter);
          return true;
        }
        if (areas_.finished(waiter, waiter.operation->attempt(waiter))) return false;
        known = Readiness::not_ready;
      }
    } else if (waiter.trust_readiness) {
      known = areas_.readiness(waiter.fd, waiter.direction);
      if (known == Readiness::closed) return false;  // it will never block again
      if (known == Readiness::ready) {
        // Reported, and not drained by tasknet since. The task may read the descriptor itself,
        // where the cache cannot see: the next plain wait asks the poller for the level.
        areas_.set_readiness(waiter.fd, waiter.direction, Readiness::unknown);
        return false;
      }
    }
    park(waiter, known == Readiness::not_ready ? LastSeen::would_block : LastSeen::unknown);
    return true;
  }

  bool attempt_at_turn(Waiter& waiter) noexcept override {
    if (!areas_.finished(waiter, waiter.operation->attempt(waiter))) {
      // A spurious wake-up: it stays parked, and waits for the next edge (a level-triggered
      // poller watches it already, since it parked).
      waiter.state = WaitState::parked;
      return false;
    }
    interrupt(waiter, WaitStatus::ready);  // from attempt_queued: its entry resumes it, now
    return true;
  }

  void interrupt(Waiter& waiter, WaitStatus status) noexcept override {
    leave(waiter);
    wake(waiter, status);
  }

  void abandon(Waiter& waiter) noexcept override {
    leave(waiter);
    waiter.state = WaitState::idle;
  }

  void forget(int fd) noexcept override {
    if (WaitingAreas::Entry* entry = areas_.find(fd)) {
      for (Waiter* waiter : entry->waiter) {
        if (waiter != nullptr) interrupt(*waiter, WaitStatus::cancelled);
      }
      areas_.reset(fd);
    }
    poller_->forget(fd);
  }

  void record(int fd, Direction direction, Attempt outcome) noexcept override {
    areas_.record(fd, direction, outcome);
  }

  bool has_waiters() const noexcept override { return areas_.count() > 0; }

  void turn(std::optional<std::chrono::nanoseconds> timeout) override {
    for (const PollEvent& event : poller_->wait(timeout)) {
      if (event.readable) on_ready(event.fd, Direction::readable, event.read_closed);
      if (event.writable) on_ready(event.fd, Direction::writable, event.write_closed);
    }
  }

 private:
  void park(Waiter& waiter, LastSeen last_seen) {
    WaitingAreas::Entry& entry = areas_.at(waiter.fd);
    if (entry.waiter[WaitingAreas::index_of(waiter.direction)] == nullptr &&
        (!edge_triggered_ || !entry.watched || last_seen == LastSeen::unknown)) {
      // An edge-triggered poller already watching needs telling only when the level is unknown.
      poller_->watch(waiter.fd, waiter.direction, last_seen);
      entry.watched = true;
    }
    areas_.enter(entry, waiter);
    waiter.state = WaitState::parked;
  }

  void leave(const Waiter& waiter) noexcept {
    // A level-triggered poller watches only while a task waits; epoll keeps watching.
    if (areas_.leave(waiter) && !edge_triggered_) poller_->unwatch(waiter.fd, waiter.direction);
  }

  void on_ready(int fd, Direction direction, bool closed) noexcept {
    WaitingAreas::Entry* entry = areas_.find(fd);
    if (entry == nullptr) return;
    const std::size_t way = WaitingAreas::index_of(direction);
    Readiness& readiness = entry->readiness[way];
    if (readiness != Readiness::closed) readiness = closed ? Readiness::closed : Readiness::ready;
    Waiter* waiter = entry->waiter[way];
    if (waiter == nullptr || waiter->state == WaitState::attempt_queued) return;
    if (waiter->operation == nullptr) {
      // A plain wait hands the readiness to its task, which may drain it where we cannot see.
      if (readiness == Readiness::ready) readiness = Readiness::unknown;
    } else if (waiter->operation->attempt_at_turn) {
      queue_attempt(*waiter);
      return;
    } else if (!areas_.finished(*waiter, waiter->operation->attempt(*waiter))) {
      return;  // a spurious wake-up keeps the task parked
    }
    interrupt(*waiter, WaitStatus::ready);
  }

  WaitingAreas areas_;
  std::unique_ptr<Poller> poller_;
  bool edge_triggered_;  // poller_->edge_triggered(), asked once
};

}  // namespace

std::unique_ptr<Driver> make_readiness_driver(std::unique_ptr<Poller> poller) {
  return std::make_unique<ReadinessDriver>(std::move(poller));
}

}  // namespace tasknet::drivers
