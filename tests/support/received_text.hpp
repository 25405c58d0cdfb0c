// What a Socket::receive brought, as text: for tests that compare it with what a client sent.
#pragma once

#include <span>
#include <string>

#include "tasknet/net/receive_operation.hpp"

namespace tasknet::testing {

inline std::string text_of(Received& received) {
  const std::span<char> bytes = received.bytes();
  return {bytes.data(), bytes.size()};
}

}  // namespace tasknet::testing
