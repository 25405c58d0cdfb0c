// The drivers behind tasknet::Driver (src/drivers/). Private to the library: backend.cpp picks.
#pragma once

#include <memory>

#include "drivers/readiness/poller.hpp"
#include "tasknet/driver.hpp"

namespace tasknet::drivers {

/// The seed's waiting areas and a readiness cache, over `poller`.
std::unique_ptr<Driver> make_readiness_driver(std::unique_ptr<Poller> poller);

/// io_uring: the kernel performs the operations. Throws std::system_error when this kernel (or a
/// seccomp filter, or kernel.io_uring_disabled) refuses it.
std::unique_ptr<Driver> make_uring_driver();

}  // namespace tasknet::drivers
