// Error messages quote what the user typed, and arguments can hold any byte: one_line() keeps
// each message on the one line that the programs promise.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tasknet::apps {

/// `text` with control characters written as C escapes (\n, \r, \t, \xHH), so that an argument
/// holding them can neither split a message into lines nor reach the terminal raw.
inline std::string one_line(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      result += "\\n";
    } else if (c == '\r') {
      result += "\\r";
    } else if (c == '\t') {
      result += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      result += escaped;
    } else {
      result += c;
    }
  }
  return result;
}

}  // namespace tasknet::apps
