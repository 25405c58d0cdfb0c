// A program built against an installed tasknet, the way a user builds one: a million awaits of
// tasks that finish at once. Each resumes its awaiter by symmetric transfer, which must be a tail
// call or the stack grows by a frame per await; GCC emits the tail call at -O0 only with
// -foptimize-sibling-calls, so this overflows the stack unless the package's flags carry it.
// Needs: an installed tasknet.  Usage: deep_awaits (exit 0 when the sum is right)
#include <cstdio>

#include "tasknet/tasknet.hpp"

using namespace tasknet;

Task<int> answer() {
  co_return 42;
}

Task<long> sum_of_many(int count) {
  long sum = 0;
  for (int i = 0; i < count; ++i) sum += co_await answer();
  co_return sum;
}

Task<void> store_sum(long* sum) {
  *sum = co_await sum_of_many(1'000'000);
}

int main() {
  Scheduler scheduler;
  long sum = 0;
  scheduler.spawn(store_sum(&sum));
  scheduler.run();
  std::printf("sum of a million awaits: %ld\n", sum);
  return sum == 42'000'000L ? 0 : 1;
}
