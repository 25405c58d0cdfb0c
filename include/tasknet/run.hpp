// tasknet::run(task): a program's main task on a scheduler of its own, run to its end, as
// asyncio.run does: `int main() { return tasknet::run(serve()); }`.
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "tasknet/scheduler.hpp"
#include "tasknet/task.hpp"
#include "tasknet/wait.hpp"

namespace tasknet {
namespace detail {

template <typename T>
struct MainOutcome {
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  std::optional<Stored> value;
  std::exception_ptr error;
};

/// Runs `task`, keeps what it produced, and ends the scheduler's run(): the program is over when
/// its main task is, whatever else is still running (as with asyncio.run).
template <typename T>
Task<void> run_main(Task<T> task, MainOutcome<T>& outcome) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      outcome.value.emplace();
    } else {
      outcome.value.emplace(co_await std::move(task));
    }
  } catch (...) {
    outcome.error = std::current_exception();
  }
  Scheduler& scheduler = co_await this_scheduler();
  scheduler.stop();
}

}  // namespace detail

/// Creates a scheduler with `options`, runs `task` on it to its end, and returns its value or
/// rethrows its exception. Tasks it spawned that are still running then are destroyed with the
/// scheduler: their frames go, and with them what they hold (sockets close). Throws
/// std::logic_error if the scheduler stopped first (a task called Scheduler::stop()), and what
/// Scheduler::run() throws (every task waiting on nothing that could wake it).
template <typename T>
T run(Task<T> task, Scheduler::Options options = {}) {
  detail::MainOutcome<T> outcome;
  {
    Scheduler scheduler(std::move(options));
    scheduler.spawn(detail::run_main(std::move(task), outcome));
    scheduler.run();
  }
  if (outcome.error) std::rethrow_exception(outcome.error);
  if (!outcome.value) {
    throw std::logic_error("tasknet::run: the scheduler stopped before the main task finished");
  }
  if constexpr (!std::is_void_v<T>) return std::move(*outcome.value);
}

}  // namespace tasknet
