// Runs a built program as a child process with its output captured, for CLI tests. Every wait
// is bounded; a child still running when the Process is destroyed is killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tasknet::testing {

class Process {
 public:
  explicit Process(std::vector<std::string> argv);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  /// The next line of standard output, without its newline; nullopt on timeout or end of output.
  std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout);
  void send_signal(int signal) const;
  /// Closes this end of the child's standard output: its writes fail with EPIPE from now on.
  void close_stdout();
  /// Waits for the exit and returns its code (128 + N for death by signal N); nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// All of standard output and standard error after the process has exited.
  [[nodiscard]] const std::string& stdout_text() const noexcept { return out_; }
  [[nodiscard]] const std::string& stderr_text() const noexcept { return err_; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  /// Reads whatever is available from both pipes, waiting up to `timeout` for something.
  bool pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::size_t out_consumed_ = 0;
  std::optional<int> exit_code_;
};

/// Runs a program to its end and returns its exit code (nullopt if it ran past `timeout`).
std::optional<int> run_program(std::vector<std::string> argv, std::string* out, std::string* err,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace tasknet::testing
