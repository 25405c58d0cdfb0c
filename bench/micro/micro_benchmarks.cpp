// Micro-benchmarks of the runtime's own costs, in nanoseconds per operation:
// spawn-run-destroy of a task, a yield_now round trip, an await of a Task<int> that completes at
// once, a readable wait woken through each poller, and timer insert and fire.
// Run: build/release/bench/micro/tasknet-micro   (pin it: taskset -c 1 ...)
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <random>

#include "tasknet/tasknet.hpp"

namespace {

using namespace tasknet;

/// Adds the column "per_op": time per operation when an iteration does `operations` of them
/// (printed with an SI suffix: 21.3n is 21.3 ns).
void per_operation(benchmark::State& state, double operations) {
  state.counters["per_op"] = benchmark::Counter(
      operations, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

Task<void> nothing() {
  co_return;
}

void SpawnRunDestroy(benchmark::State& state) {
  Scheduler scheduler;
  constexpr int batch = 1000;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) scheduler.spawn(nothing());
    scheduler.run();
  }
  per_operation(state, batch);
}
BENCHMARK(SpawnRunDestroy);

Task<void> yield_times(int count) {
  for (int i = 0; i < count; ++i) co_await yield_now();
}

void YieldRoundTrip(benchmark::State& state) {
  Scheduler scheduler;
  constexpr int yields = 10'000;
  for (auto _ : state) {
    scheduler.spawn(yield_times(yields));
    scheduler.run();
  }
  per_operation(state, yields);
}
BENCHMARK(YieldRoundTrip);

Task<int> ready_value(int value) {
  co_return value;
}

Task<void> await_many(int count, long* sum) {
  for (int i = 0; i < count; ++i) *sum += co_await ready_value(i);
}

void AwaitTaskThatCompletesAtOnce(benchmark::State& state) {
  Scheduler scheduler;
  constexpr int awaits = 10'000;
  long sum = 0;
  for (auto _ : state) {
    scheduler.spawn(await_many(awaits, &sum));
    scheduler.run();
  }
  benchmark::DoNotOptimize(sum);
  per_operation(state, awaits);
}
BENCHMARK(AwaitTaskThatCompletesAtOnce);

Task<void> ping_self(FileDescriptor* reader, int writer, int count) {
  char byte = 'x';
  for (int i = 0; i < count; ++i) {
    if (::write(writer, &byte, 1) != 1) std::abort();
    co_await reader->readable();  // parks: the last read drained it; the poller wakes it
    if (!reader->try_read({&byte, 1})) std::abort();
  }
}

void ReadableWaitWokenByPoller(benchmark::State& state) {
  const auto backend = static_cast<Backend>(state.range(0));
  state.SetLabel(std::string(to_string(backend)));
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  Scheduler scheduler({.backend = backend});
  FileDescriptor reader{fds[0]};
  constexpr int wakeups = 1000;
  for (auto _ : state) {
    scheduler.spawn(ping_self(&reader, fds[1], wakeups));
    scheduler.run();
  }
  reader.close();
  ::close(fds[1]);
  per_operation(state, wakeups);
}
BENCHMARK(ReadableWaitWokenByPoller)
    ->Arg(static_cast<int>(Backend::epoll))
    ->Arg(static_cast<int>(Backend::poll))
    ->Arg(static_cast<int>(Backend::select));

Task<void> sleep_zero_times(int count) {
  for (int i = 0; i < count; ++i) co_await sleep_until(TimePoint{});  // due at once
}

void TimerInsertAndFireThroughScheduler(benchmark::State& state) {
  Scheduler scheduler;
  constexpr int sleeps = 1000;
  for (auto _ : state) {
    scheduler.spawn(sleep_zero_times(sleeps));
    scheduler.run();
  }
  per_operation(state, sleeps);
}
BENCHMARK(TimerInsertAndFireThroughScheduler);

Task<void> sleep_until_each(const std::vector<TimePoint>* wake_times, std::size_t index) {
  co_await sleep_until((*wake_times)[index]);
}

void ThousandTimersInsertedAndFiredInDeadlineOrder(benchmark::State& state) {
  Scheduler scheduler;
  constexpr int timers = 1000;
  std::mt19937 random(7);
  std::vector<TimePoint> wake_times(timers);
  for (auto _ : state) {
    const TimePoint base = Clock::now();
    for (auto& t : wake_times) t = base - std::chrono::microseconds(random() % 1000);  // all due
    for (int i = 0; i < timers; ++i) scheduler.spawn(sleep_until_each(&wake_times, i));
    scheduler.run();
  }
  per_operation(state, timers);
}
BENCHMARK(ThousandTimersInsertedAndFiredInDeadlineOrder);

}  // namespace

BENCHMARK_MAIN();
