// Runs one task on a scheduler until the scheduler has nothing left, and hands back its result
// or rethrows its exception: the test-side equivalent of "block on".
#pragma once

#include <exception>
#include <optional>
#include <type_traits>

#include "tasknet/scheduler.hpp"
#include "tasknet/task.hpp"

namespace tasknet::testing {

template <typename T>
T run_to_completion(Scheduler& scheduler, Task<T> task) {
  using Stored = std::conditional_t<std::is_void_v<T>, bool, T>;
  std::optional<Stored> result;
  std::exception_ptr error;
  auto wrapper = [](Task<T> inner, std::optional<Stored>* out,
                    std::exception_ptr* failure) -> Task<void> {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(inner);
        out->emplace(true);
      } else {
        out->emplace(co_await std::move(inner));
      }
    } catch (...) {
      *failure = std::current_exception();
    }
  };
  scheduler.spawn(wrapper(std::move(task), &result, &error));
  scheduler.run();
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace tasknet::testing
