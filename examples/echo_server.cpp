// The seed's echo server, line for line: tcp_server on port 25000 spawning echo_handler per
// client, each waiting until its socket is readable, then writable, in turn.
// Needs: nothing but tasknet.  Usage: echo_server [PORT]
// Try it: ./echo_server & nc localhost 25000
#include <cstdio>
#include <string>

#include "tasknet/tasknet.hpp"

using namespace tasknet;

Task<void> echo_handler(Socket client, Address address) {
  std::printf("Connection from %s\n", address.to_string().c_str());
  char data[4 + 1000] = {'G', 'O', 'T', ':'};
  for (;;) {
    co_await client.readable();                               // yield 'recv', client
    const auto received = client.try_recv({data + 4, 1000});  // client.recv(1000)
    if (!received) continue;
    if (*received == 0) break;                        // if not data: break
    co_await client.send_all({data, 4 + *received});  // yield 'send'; client.send(...)
  }
  std::printf("Connection closed\n");
}

int main(int argc, char** argv) {
  const std::uint16_t port = argc > 1 ? Address::parse_port(argv[1]) : 25000;
  Scheduler scheduler;  // tasks, recv_wait, send_wait
  scheduler.spawn(tcp_server(Address::resolve("", port), echo_handler));
  scheduler.run();  // run()
}
