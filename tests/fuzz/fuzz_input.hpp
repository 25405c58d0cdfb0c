// Turning a fuzzer's bytes into what the parsers under test take, and failing loudly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace tasknet::fuzz {

/// argv for a program: its name, then the input split at NUL bytes (so arguments may hold
/// newlines and any other byte, as real ones can). At most 32 arguments.
class Arguments {
 public:
  Arguments(const char* program, const std::uint8_t* data, std::size_t size) {
    strings_.emplace_back(program);
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (std::size_t at = 0; at <= input.size() && strings_.size() < 33;) {
      const std::size_t end = std::min(input.find('\0', at), input.size());
      strings_.emplace_back(input.substr(at, end - at));
      at = end + 1;
    }
    for (const std::string& s : strings_) pointers_.push_back(s.c_str());
    pointers_.push_back(nullptr);
  }

  [[nodiscard]] int argc() const noexcept { return static_cast<int>(strings_.size()); }
  [[nodiscard]] const char* const* argv() const noexcept { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<const char*> pointers_;
};

/// A broken promise: says which, and aborts so that libFuzzer keeps the input.
[[noreturn]] inline void violated(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant violated: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

/// Every CLI error is one line: "PROGRAM: what is wrong\n".
inline void expect_one_error_line(std::string_view program, const std::string& err) {
  if (!err.starts_with(std::string(program) + ": "))
    violated("error without the program name", err);
  if (err.find('\n') != err.size() - 1) violated("error not exactly one line", err);
}

/// A parser that chose to exit: 0 after printing help or a version, 2 after one error line.
inline void expect_proper_exit(std::string_view program, int code, const std::string& out,
                               const std::string& err) {
  if (code == 2) {
    expect_one_error_line(program, err);
  } else if (code != 0 || out.empty()) {
    violated("exit code other than 0 (with output) or 2", err);
  }
}

}  // namespace tasknet::fuzz
