// An echo client: connects, sends each argument as a line, and prints what comes back.
// Needs: a running echo server.  Usage: echo_client HOST:PORT LINE...
// Try it: ./echo_client localhost:25000 Hello World
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tasknet/tasknet.hpp"

using namespace tasknet;

Task<void> talk(Address server, std::vector<std::string> lines) {
  Socket socket = co_await connect(server, {.deadline = after(std::chrono::seconds(5))});
  for (const std::string& line : lines) {
    co_await socket.send_all(line + "\n");
    char reply[4096];
    const std::size_t n = co_await socket.recv(reply, {.deadline = after(std::chrono::seconds(5))});
    std::printf("%.*s", static_cast<int>(n), reply);
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: echo_client HOST:PORT LINE...\n");
    return 2;
  }
  try {
    Scheduler scheduler({.on_task_error = [](std::exception_ptr error) {
      try {
        std::rethrow_exception(std::move(error));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "echo_client: %s\n", e.what());
      }
    }});
    scheduler.spawn(talk(Address::parse(argv[1]), {argv + 2, argv + argc}));
    scheduler.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "echo_client: %s\n", error.what());
    return 1;
  }
}
