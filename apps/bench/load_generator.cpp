#include "load_generator.hpp"

#include <unistd.h>

#include <cstdio>
#include <system_error>

#include "process_cpu.hpp"
#include "tasknet/detail/ring_queue.hpp"
#include "tasknet/net/connect_operation.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"

namespace tasknet::bench {
namespace {

constexpr std::size_t max_error_messages = 5;
constexpr std::size_t receive_buffer_size = std::size_t{64} * 1024;

}  // namespace

LoadGenerator::LoadGenerator(BenchOptions options)
    : options_(std::move(options)),
      pattern_(options_.prefix.empty() ? '\0' : options_.prefix[0]),
      live_progress_(!options_.quiet && !options_.json && ::isatty(STDERR_FILENO) == 1) {}

void LoadGenerator::fail(std::string message) {
  ++result_.errors;
  if (result_.first_errors.size() < max_error_messages) {
    result_.first_errors.push_back(std::move(message));
  }
}

Task<void> LoadGenerator::connection(std::size_t id) {
  const std::string name = "connection " + std::to_string(id) + ": ";
  const std::stop_token stop = stop_.get_token();
  ++connections_alive_;
  struct Alive {
    std::size_t& count;
    ~Alive() { --count; }
  } alive{connections_alive_};

  Socket socket;
  try {
    socket = co_await connect(
        options_.target,
        {.deadline = after(from_seconds(options_.connect_timeout_s)), .stop = stop});
    socket.set_no_delay(true);
  } catch (const std::system_error& error) {
    if (!stop.stop_requested()) fail(name + error.what());
    co_return;
  }

  const std::size_t message = options_.message_size;
  ReplyVerifier verifier(pattern_, options_.prefix);
  detail::RingQueue<TimePoint> sent_at;  // one per request in flight, oldest first
  std::uint64_t sent_bytes = 0;
  std::uint64_t next_reply_ends_at = message;  // payload offset that completes the oldest request
  std::vector<char> buffer(receive_buffer_size);
  std::size_t to_send = options_.pipeline;
  try {
    while (!stop.stop_requested()) {
      if (to_send > 0) {
        const TimePoint now = Clock::now();
        for (std::size_t i = 0; i < to_send; ++i) sent_at.push_back(now);
        co_await socket.send_all(pattern_.slice(sent_bytes, to_send * message), {.stop = stop});
        sent_bytes += to_send * message;
        to_send = 0;
      }
      const std::size_t received = co_await socket.recv(buffer, {.stop = stop});
      if (received == 0) {
        fail(name + "the server closed the connection");
        break;
      }
      if (!verifier.feed({buffer.data(), received})) {
        fail(name + verifier.error());
        break;
      }
      const TimePoint now = Clock::now();
      while (verifier.payload_bytes() >= next_reply_ends_at) {
        const TimePoint sent = sent_at.pop_front();
        if (measuring_) {
          latencies_.record(now - sent);
          ++completed_measured_;
        }
        ++completed_total_;
        ++to_send;
        next_reply_ends_at += message;
      }
    }
  } catch (const std::system_error& error) {
    if (!stop.stop_requested()) fail(name + error.what());
  }
}

Task<void> LoadGenerator::clock() {
  const std::stop_token stop = stop_.get_token();
  co_await sleep_for(from_seconds(options_.warmup_s), {.stop = stop});

  std::optional<std::chrono::nanoseconds> cpu_before;
  if (options_.server_pid) cpu_before = process_cpu_time(*options_.server_pid);
  const TimePoint start = Clock::now();
  const TimePoint end = start + from_seconds(options_.duration_s);
  measuring_ = true;
  std::uint64_t completed_at_last_tick = completed_total_;
  for (int tick = 1; !stop.stop_requested() && connections_alive_ > 0; ++tick) {
    const TimePoint next = std::min(end, start + std::chrono::seconds(tick));
    co_await sleep_until(next, {.stop = stop});
    if (live_progress_) {
      print_progress(std::chrono::duration<double>(next - start).count(),
                     completed_total_ - completed_at_last_tick);
    }
    completed_at_last_tick = completed_total_;
    if (next >= end) break;
  }
  measuring_ = false;
  result_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (cpu_before) {
    if (const auto cpu_after = process_cpu_time(*options_.server_pid);
        cpu_after && completed_measured_ > 0) {
      result_.server_cpu_us_per_request =
          std::chrono::duration<double, std::micro>(*cpu_after - *cpu_before).count() /
          static_cast<double>(completed_measured_);
    }
  }
  if (live_progress_) std::fputc('\n', stderr);
  stop_.request_stop();
}

void LoadGenerator::print_progress(double elapsed_s, std::uint64_t requests_in_second) const {
  std::fprintf(stderr, "\r%6.1f s  %10llu req/s  %llu errors   ", elapsed_s,
               static_cast<unsigned long long>(requests_in_second),
               static_cast<unsigned long long>(result_.errors));
  std::fflush(stderr);
}

RunResult LoadGenerator::run() {
  Scheduler scheduler({.on_task_error = [this](std::exception_ptr error) {
    try {
      std::rethrow_exception(std::move(error));
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }});
  for (std::size_t id = 0; id < options_.connections; ++id) scheduler.spawn(connection(id));
  scheduler.spawn(clock());
  scheduler.run();
  result_.requests = completed_measured_;
  result_.payload_bytes = completed_measured_ * options_.message_size;
  result_.latency = latencies_.summarize();
  return result_;
}

}  // namespace tasknet::bench
