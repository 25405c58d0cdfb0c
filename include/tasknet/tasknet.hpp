// Everything an application of tasknet uses, in one include.
#pragma once

#include "tasknet/backend.hpp"
#include "tasknet/buffer_pool.hpp"
#include "tasknet/clock.hpp"
#include "tasknet/file_descriptor.hpp"
#include "tasknet/net/accept_operation.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/connect_operation.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/net/tcp_listener.hpp"
#include "tasknet/net/tcp_server.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/signal_set.hpp"
#include "tasknet/task.hpp"
#include "tasknet/time.hpp"
#include "tasknet/version.hpp"
#include "tasknet/wait.hpp"
