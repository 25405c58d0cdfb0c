// Choosing a backend at run time: the backends this build has, their names, and the default.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "tasknet/driver.hpp"

namespace tasknet {

enum class Backend {
  select,  ///< the seed's own; at most FD_SETSIZE (1024) descriptors
  poll,    ///< no descriptor limit, O(watched descriptors) per wait
  epoll,   ///< Linux, edge-triggered, O(ready descriptors) per wait: the default
  uring,   ///< Linux io_uring, completion-based: the kernel performs recv, send, accept, connect
};

/// Every backend this build offers and this machine can set up (io_uring may be refused by the
/// kernel, a seccomp filter or kernel.io_uring_disabled), in order of preference.
[[nodiscard]] std::span<const Backend> all_backends() noexcept;

/// The backend a Scheduler uses unless told otherwise.
[[nodiscard]] Backend default_backend() noexcept;

[[nodiscard]] std::string_view to_string(Backend backend) noexcept;

/// "select", "poll", "epoll" or "uring" (usable here or not: make_driver says). Throws
/// std::invalid_argument naming the bad value otherwise.
[[nodiscard]] Backend parse_backend(std::string_view name);

/// Creates the backend's driver. Throws std::system_error when it cannot be set up here.
[[nodiscard]] std::unique_ptr<Driver> make_driver(Backend backend);

}  // namespace tasknet
