// tasknet-echo's output (connection lines, statistics, errors) handed over without blocking: a
// bounded queue per stream, written out by a thread of its own, so that a stdout that nobody
// reads, or whose reader has gone, never stops a serving loop.
//
// Why a thread doing plain blocking writes, and not the loops waiting for writable(1): stdout
// and stderr are inherited, and their open file description is shared with the shell and
// whatever else holds it; setting O_NONBLOCK there would change it for them too (a shell that
// later reads its terminal gets EAGAIN). A writer thread changes nothing shared, and a loop
// only appends a line to a string under a mutex that no write ever holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <thread>

namespace tasknet::echo {

class OutputLog {
 public:
  /// The most bytes a stream's queue holds: past it, lines are dropped and counted, and the
  /// count is written ("tasknet-echo: N log lines dropped") once the writer gets through.
  static constexpr std::size_t default_bound = std::size_t{64} * 1024;

  /// Starts the writer thread for `fd` (1 or 2), named `name` ("stdout") in messages. When a
  /// write fails (EPIPE: the reader has gone), logging there stops for good and, if `errors` is
  /// not null, one line says so there. Create it with the signals blocked (SignalSet), so that
  /// the thread does not take them. Throws std::system_error if the thread cannot start.
  OutputLog(int fd, const char* name, OutputLog* errors, std::size_t bound = default_bound);
  OutputLog(const OutputLog&) = delete;
  OutputLog& operator=(const OutputLog&) = delete;
  /// Waits up to a second for what is queued to be written, then leaves a writer still stuck
  /// in a write to finish (or not) on its own.
  ~OutputLog();

  /// Queues `line` (its newline included) from any thread, without ever waiting for the
  /// descriptor. Dropped and counted when the queue is full; ignored once writing has failed.
  void write(std::string_view line) noexcept;
  /// write() of a printf-formatted line.
  void print(const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));
  /// Waits until everything queued so far has been written (or writing has failed), or until
  /// `limit` has passed; whether it got there.
  bool flush(std::chrono::milliseconds limit) noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the writer, which may outlive this object
  std::thread writer_;
};

}  // namespace tasknet::echo
