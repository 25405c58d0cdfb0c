// systemd's socket activation, the receiving end, without libsystemd: the listening sockets that
// systemd (or systemd-socket-activate, or any launcher following sd_listen_fds(3)) opened for
// this process and passed to it as descriptors 3, 4, ...
#pragma once

#include <vector>

#include "tasknet/file_descriptor.hpp"

namespace tasknet::echo {

/// The descriptors passed by socket activation, as sd_listen_fds(3) defines them: when
/// $LISTEN_PID is this process's id, the $LISTEN_FDS descriptors from 3 on, each made
/// close-on-exec ($LISTEN_FDNAMES, their names, is not needed: every one is served alike).
/// Empty when this process was not socket-activated: no $LISTEN_PID, or another process's (the
/// variables were inherited by mistake: they are ignored). In every case LISTEN_PID, LISTEN_FDS
/// and LISTEN_FDNAMES are unset afterwards, as sd_listen_fds(1) does, so that nothing this
/// process starts takes them for its own. Throws std::invalid_argument when $LISTEN_PID or
/// $LISTEN_FDS is not a number, and std::system_error when a descriptor is not open.
std::vector<FileDescriptor> sockets_from_systemd();

}  // namespace tasknet::echo
