// Backend names and construction: the one place that knows which drivers exist.
#include "tasknet/backend.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "drivers/drivers.hpp"

namespace tasknet {
namespace {

constexpr std::array every_backend{Backend::uring, Backend::epoll, Backend::poll, Backend::select};

/// Whether an io_uring backend can be set up here: the kernel, a seccomp filter or
/// kernel.io_uring_disabled may refuse. A fact about the machine, asked once per process, on a
/// thread of its own: the kernel's clean-up of a ring interrupts one later system call of the
/// thread that used it (EINTR where a timeout is set), and the caller's thread should not pay.
bool uring_usable() noexcept {
  static const bool usable = [] {
    bool works = false;
    try {
      std::thread probe([&works] {
        try {
          works = drivers::make_uring_driver() != nullptr;
        } catch (const std::exception&) {
          works = false;
        }
      });
      probe.join();
    } catch (const std::system_error&) {
      return false;  // no thread to ask from: do without io_uring
    }
    return works;
  }();
  return usable;
}

}  // namespace

std::span<const Backend> all_backends() noexcept {
  static const std::vector<Backend> usable = [] {
    std::vector<Backend> backends;
    for (Backend backend : every_backend) {
      if (backend != Backend::uring || uring_usable()) backends.push_back(backend);
    }
    return backends;
  }();
  return usable;
}

Backend default_backend() noexcept {
  return Backend::epoll;
}

std::string_view to_string(Backend backend) noexcept {
  switch (backend) {
    case Backend::select:
      return "select";
    case Backend::poll:
      return "poll";
    case Backend::epoll:
      return "epoll";
    case Backend::uring:
      return "uring";
  }
  return "unknown";
}

Backend parse_backend(std::string_view name) {
  for (Backend backend : every_backend) {
    if (to_string(backend) == name) return backend;
  }
  throw std::invalid_argument("unknown backend '" + std::string(name) +
                              "' (expected uring, epoll, poll or select)");
}

std::unique_ptr<Driver> make_driver(Backend backend) {
  switch (backend) {
    case Backend::select:
      return drivers::make_readiness_driver(drivers::make_select_poller());
    case Backend::poll:
      return drivers::make_readiness_driver(drivers::make_poll_poller());
    case Backend::epoll:
      return drivers::make_readiness_driver(drivers::make_epoll_poller());
    case Backend::uring:
      return drivers::make_uring_driver();
  }
  throw std::invalid_argument("unknown backend");
}

}  // namespace tasknet
