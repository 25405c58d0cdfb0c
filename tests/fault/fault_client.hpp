// The clients of the fault suite, on tasknet schedulers in the test process: streams of
// random-sized messages whose replies are checked byte for byte, one-exchange-at-a-time
// conversations, and a thread of clients that keeps talking while a case attacks the server.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "payload.hpp"
#include "tasknet/clock.hpp"
#include "tasknet/net/address.hpp"
#include "tasknet/net/socket.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/task.hpp"

namespace tasknet::fault {

/// What a group of clients did, and the first few things that went wrong, word for word.
struct Tally {
  std::uint64_t exchanges = 0;       ///< messages whose whole reply came back and matched
  std::uint64_t bytes_verified = 0;  ///< payload bytes whose replies came back and matched
  std::uint64_t errors = 0;
  std::vector<std::string> first_errors;

  void fail(std::string message);
  /// "N exchanges, B bytes verified, E errors: first; second".
  [[nodiscard]] std::string describe() const;
};

/// The echo server's prefix: every reply run starts with it.
inline constexpr std::string_view reply_prefix = "GOT:";

/// The bytes every fault-suite client sends: pseudo-random, without the prefix's first byte.
const bench::PayloadPattern& shared_pattern();

/// One connection's traffic: messages of random sizes cut from the pattern's stream, and the
/// verifier that the replies go through.
class MessageStream {
 public:
  MessageStream(std::uint32_t seed, std::size_t max_message);

  /// The next message (1 to max_message bytes) to send; counted as sent.
  std::string_view next_message();
  /// `size` more bytes of the stream; counted as sent.
  std::string_view next_bytes(std::size_t size);
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }
  /// Feeds received reply bytes; false (see error()) at the first wrong one.
  bool feed(std::string_view received) { return verifier_.feed(received); }
  [[nodiscard]] std::uint64_t verified() const noexcept { return verifier_.payload_bytes(); }
  [[nodiscard]] const std::string& error() const noexcept { return verifier_.error(); }

 private:
  std::minstd_rand random_;
  std::uniform_int_distribution<std::size_t> size_;
  std::uint64_t sent_ = 0;
  bench::ReplyVerifier verifier_;
};

/// Receives once (waiting until `deadline`) and feeds the bytes to `stream`. Returns the number
/// of bytes, 0 at end of stream. Throws std::runtime_error for a wrong byte, std::system_error for
/// a socket error or the deadline. Receives into one buffer per thread, so that ten thousand
/// waiting clients hold no buffer each.
Task<std::size_t> receive_into(Socket& socket, MessageStream& stream, TimePoint deadline);

/// Receives until every byte sent so far has come back verified. Throws as receive_into does,
/// and std::runtime_error when the server closes first.
Task<void> receive_all_replies(Socket& socket, MessageStream& stream, TimePoint deadline);

/// Throws std::runtime_error: the server closed with bytes of `stream` unanswered.
[[noreturn]] void throw_closed_early(const MessageStream& stream);

/// One exchange: sends the next message and waits for its whole reply.
Task<void> exchange(Socket& socket, MessageStream& stream, TimePoint deadline);

/// Connects to `server`, with Nagle off, within `timeout`.
Task<Socket> connect_to(Address server, Clock::duration timeout = std::chrono::seconds(30));

/// Closes with SO_LINGER 0: the server sees a reset, not an end of stream.
void reset(Socket& socket);

/// A thread with its own scheduler running client tasks, for clients that must keep going while
/// the test thread attacks or watches the server. stop() is the only way to reach into it: it
/// raises a flag that a task of the thread turns into a stop request there, on its own thread.
class ClientThread {
 public:
  /// Spawns the tasks on the thread's scheduler. They end when `stop` is requested.
  using Setup = std::function<void(Scheduler&, std::stop_token stop)>;

  explicit ClientThread(Setup setup);
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;
  ~ClientThread();

  /// Asks the tasks to stop, and waits until they have.
  void stop();
  /// Waits until the tasks have ended by themselves.
  void join();

 private:
  std::atomic<bool> stop_flag_{false};
  std::jthread thread_;
};

/// `count` well-behaved clients exchanging random-sized messages, one at a time, each reply
/// checked, until stopped: the bystanders whose bytes must never be lost whatever else the server
/// is put through.
class GoodClients {
 public:
  /// Each client waits `pause` between its exchanges (none by default: as fast as it can).
  GoodClients(Address server, std::size_t count, std::size_t max_message = 4096,
              Clock::duration pause = {});

  /// Exchanges completed so far, all clients together (readable from any thread).
  [[nodiscard]] std::uint64_t exchanges() const noexcept { return exchanges_.load(); }
  /// Exchanges per second over the next `window`.
  double rate_over(std::chrono::milliseconds window) const;
  /// Finishes the exchanges under way, closes every client, and returns what they did.
  Tally stop();

 private:
  Task<void> client(Address server, std::size_t id, std::size_t max_message, Clock::duration pause,
                    std::stop_token stop);

  std::atomic<std::uint64_t> exchanges_{0};
  Tally tally_;  // written by the clients' thread only, read after it ended
  ClientThread thread_;
};

}  // namespace tasknet::fault
