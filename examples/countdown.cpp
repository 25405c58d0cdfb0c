// Part (a) of the seed: tasks as coroutines that take turns. Each countdown yields after every
// step, and the scheduler's FIFO interleaves them exactly.
// Needs: nothing but tasknet.  Usage: countdown
#include <cstdio>

#include "tasknet/tasknet.hpp"

using namespace tasknet;

Task<void> countdown(int n) {
  while (n > 0) {
    std::printf("T-minus %d\n", n);
    co_await yield_now();  // the seed's bare `yield`
    --n;
  }
}

Task<void> countup(int stop) {
  for (int x = 0; x < stop; ++x) {
    std::printf("Up we go %d\n", x);
    co_await yield_now();
  }
}

int main() {
  Scheduler scheduler;
  scheduler.spawn(countdown(10));
  scheduler.spawn(countdown(5));
  scheduler.spawn(countup(15));
  scheduler.run();
}
