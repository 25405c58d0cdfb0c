#include "fault_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <stdexcept>
#include <system_error>

#include "tasknet/net/connect_operation.hpp"
#include "tasknet/time.hpp"

namespace tasknet::fault {

namespace {

constexpr std::size_t max_first_errors = 5;

}  // namespace

void Tally::fail(std::string message) {
  ++errors;
  if (first_errors.size() < max_first_errors) first_errors.push_back(std::move(message));
}

std::string Tally::describe() const {
  std::string text = std::to_string(exchanges) + " exchanges, " + std::to_string(bytes_verified) +
                     " bytes verified, " + std::to_string(errors) + " errors";
  for (std::size_t i = 0; i < first_errors.size(); ++i) {
    text += (i == 0 ? ": " : "; ") + first_errors[i];
  }
  return text;
}

const bench::PayloadPattern& shared_pattern() {
  static const bench::PayloadPattern pattern(reply_prefix[0]);
  return pattern;
}

MessageStream::MessageStream(std::uint32_t seed, std::size_t max_message)
    : random_(seed + 1),  // minstd_rand refuses a zero seed
      size_(1, max_message),
      verifier_(shared_pattern(), std::string(reply_prefix)) {}

std::string_view MessageStream::next_message() {
  return next_bytes(size_(random_));
}

std::string_view MessageStream::next_bytes(std::size_t size) {
  const std::string_view bytes = shared_pattern().slice(sent_, size);
  sent_ += size;
  return bytes;
}

Task<std::size_t> receive_into(Socket& socket, MessageStream& stream, TimePoint deadline) {
  thread_local std::array<char, 64 * 1024> buffer;
  for (;;) {
    if (co_await socket.readable({.deadline = deadline}) != WaitStatus::ready) {
      throw std::system_error(std::make_error_code(std::errc::timed_out), "waiting for a reply");
    }
    const std::optional<std::size_t> received = socket.try_recv(buffer);
    if (!received) continue;
    if (!stream.feed({buffer.data(), *received})) throw std::runtime_error(stream.error());
    co_return *received;
  }
}

void throw_closed_early(const MessageStream& stream) {
  throw std::runtime_error("the server closed the connection with " +
                           std::to_string(stream.sent() - stream.verified()) + " bytes unanswered");
}

Task<void> receive_all_replies(Socket& socket, MessageStream& stream, TimePoint deadline) {
  while (stream.verified() < stream.sent()) {
    // Never `if (co_await task == 0)`: GCC 12 leaves that awaiter out of the coroutine frame
    // when the task suspends, and reads garbage on resumption (valgrind: uninitialised value;
    // then SIGILL). Clang is fine. Binding the result to a name first is.
    const std::size_t received = co_await receive_into(socket, stream, deadline);
    if (received == 0) throw_closed_early(stream);
  }
}

Task<void> exchange(Socket& socket, MessageStream& stream, TimePoint deadline) {
  co_await socket.send_all(stream.next_message(), {.deadline = deadline});
  co_await receive_all_replies(socket, stream, deadline);
}

Task<Socket> connect_to(Address server, Clock::duration timeout) {
  Socket socket = co_await connect(server, {.deadline = after(timeout)});
  socket.set_no_delay(true);
  co_return socket;
}

void reset(Socket& socket) {
  const linger abortive{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  socket.close();
}

ClientThread::ClientThread(Setup setup)
    : thread_([this, setup = std::move(setup)] {
        Scheduler scheduler({.backend = Backend::epoll, .on_task_error = [](std::exception_ptr) {
                               // Client tasks catch what they expect; anything else is a bug
                               // in the test, which the missing tallies then show.
                             }});
        std::stop_source stop;
        setup(scheduler, stop.get_token());
        // The bridge: the flag is set on another thread, the stop is requested on this one.
        auto watcher = [](std::atomic<bool>& flag, std::stop_source& source,
                          Scheduler& tasks) -> Task<void> {
          while (!flag.load() && tasks.task_count() > 1) {
            co_await sleep_for(std::chrono::milliseconds(5));
          }
          source.request_stop();
        };
        scheduler.spawn(watcher(stop_flag_, stop, scheduler));
        scheduler.run();
      }) {}

ClientThread::~ClientThread() {
  stop();
}

void ClientThread::stop() {
  stop_flag_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ClientThread::join() {
  if (thread_.joinable()) thread_.join();
}

GoodClients::GoodClients(Address server, std::size_t count, std::size_t max_message,
                         Clock::duration pause)
    : thread_([=, this](Scheduler& scheduler, std::stop_token stop) {
        for (std::size_t id = 0; id < count; ++id) {
          scheduler.spawn(client(server, id, max_message, pause, stop));
        }
      }) {}

Task<void> GoodClients::client(Address server, std::size_t id, std::size_t max_message,
                               Clock::duration pause, std::stop_token stop) {
  const std::string name = "good client " + std::to_string(id) + ": ";
  MessageStream stream(static_cast<std::uint32_t>(id), max_message);
  try {
    Socket socket = co_await connect_to(server);
    while (!stop.stop_requested()) {
      co_await exchange(socket, stream, after(std::chrono::seconds(30)));
      ++tally_.exchanges;
      exchanges_.fetch_add(1, std::memory_order_relaxed);
      if (pause > Clock::duration::zero()) co_await sleep_for(pause, {.stop = stop});
    }
  } catch (const std::exception& error) {
    tally_.fail(name + error.what());
  }
  tally_.bytes_verified += stream.verified();
}

double GoodClients::rate_over(std::chrono::milliseconds window) const {
  const std::uint64_t before = exchanges();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  const std::uint64_t done = exchanges() - before;
  return static_cast<double>(done) /
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Tally GoodClients::stop() {
  thread_.stop();
  return tally_;
}

}  // namespace tasknet::fault
