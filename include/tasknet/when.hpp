// when_all and when_any: several tasks at once, under a task group, so that what fails or loses
// is cancelled and awaited before the caller goes on.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tasknet/task.hpp"
#include "tasknet/task_group.hpp"

namespace tasknet {
namespace detail {

/// What a task of T gives back in a tuple or variant: std::monostate for void.
template <typename T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <typename T>
Stored<T> take(JoinHandle<T>& handle) {
  if constexpr (std::is_void_v<T>) {
    handle.get();
    return {};
  } else {
    return handle.get();
  }
}

/// The first of a race to finish, with its value or its exception.
template <typename T>
struct Race {
  std::optional<std::size_t> winner;
  std::optional<Stored<T>> value;
  std::exception_ptr error;
};

/// One runner of a race: the first to finish records itself and cancels the others. A loser's
/// Cancelled is what the race asked for; any other failure of a loser is the group's to report.
template <typename T>
Task<void> race_one(Race<T>* race, TaskGroup* group, std::size_t index, Task<T> task) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      if (race->winner) co_return;
      race->value.emplace();
    } else {
      T value = co_await std::move(task);
      if (race->winner) co_return;
      race->value.emplace(std::move(value));
    }
  } catch (...) {
    if (race->winner) throw;
    race->error = std::current_exception();
  }
  race->winner = index;
  group->cancel();
}

}  // namespace detail

/// Runs the tasks at once and gives their values in order (std::monostate for a Task<void>).
/// The first failure cancels the others, and is rethrown once they have all finished.
template <typename... T>
Task<std::tuple<detail::Stored<T>...>> when_all(Task<T>... tasks) {
  TaskGroup group = co_await task_group();
  std::tuple<JoinHandle<T>...> handles{group.spawn_joinable(std::move(tasks))...};
  co_await group.join();
  co_return std::apply(
      [](auto&... handle) { return std::tuple<detail::Stored<T>...>{detail::take(handle)...}; },
      handles);
}

/// when_all over a vector: the values in the tasks' order. No tasks: an empty vector at once.
template <typename T>
Task<std::vector<detail::Stored<T>>> when_all(std::vector<Task<T>> tasks) {
  TaskGroup group = co_await task_group();
  std::vector<JoinHandle<T>> handles;
  handles.reserve(tasks.size());
  for (Task<T>& task : tasks) handles.push_back(group.spawn_joinable(std::move(task)));
  co_await group.join();
  std::vector<detail::Stored<T>> values;
  values.reserve(handles.size());
  for (JoinHandle<T>& handle : handles) values.push_back(detail::take(handle));
  co_return values;
}

/// Runs the tasks at once; the first to finish wins, and the others are cancelled and awaited
/// before when_any returns, so nothing of theirs runs afterwards. Returns the winner's index
/// and value, or rethrows the winner's exception. A loser that fails other than by its
/// cancellation is reported as a task group's child is (rethrown here if the winner did not
/// fail first). Throws std::invalid_argument for no tasks.
template <typename T>
Task<std::pair<std::size_t, detail::Stored<T>>> when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("tasknet: when_any of no tasks");
  detail::Race<T> race;
  TaskGroup group = co_await task_group();
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    group.spawn(detail::race_one<T>, &race, &group, i, std::move(tasks[i]));
  }
  co_await group.join();
  if (race.error) std::rethrow_exception(race.error);
  co_return std::pair<std::size_t, detail::Stored<T>>{*race.winner, std::move(*race.value)};
}

/// when_any of tasks of one type, given one by one.
template <typename T, typename... More>
requires(std::is_same_v<Task<T>, More>&&...)
    Task<std::pair<std::size_t, detail::Stored<T>>> when_any(Task<T> first, More... more) {
  std::vector<Task<T>> tasks;
  tasks.reserve(1 + sizeof...(more));
  tasks.push_back(std::move(first));
  (tasks.push_back(std::move(more)), ...);
  return when_any(std::move(tasks));
}

}  // namespace tasknet
