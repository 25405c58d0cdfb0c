// Backend names and construction: the one place that knows which pollers exist.
#include "tasknet/backend.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "pollers/pollers.hpp"

namespace tasknet {
namespace {
constexpr std::array backends{Backend::epoll, Backend::poll, Backend::select};
}

std::span<const Backend> all_backends() noexcept {
  return backends;
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
  }
  return "unknown";
}

Backend parse_backend(std::string_view name) {
  for (Backend backend : backends) {
    if (to_string(backend) == name) return backend;
  }
  throw std::invalid_argument("unknown backend '" + std::string(name) +
                              "' (expected epoll, poll or select)");
}

std::unique_ptr<Poller> make_poller(Backend backend) {
  switch (backend) {
    case Backend::select:
      return pollers::make_select_poller();
    case Backend::poll:
      return pollers::make_poll_poller();
    case Backend::epoll:
      return pollers::make_epoll_poller();
  }
  throw std::invalid_argument("unknown backend");
}

}  // namespace tasknet
