// read_proxy_header: peek at what has arrived, take only the header's bytes. Apart from the
// parser so that the fuzz build can instrument the parser alone (clang 14 cannot instrument some
// coroutine code for coverage: tests/fuzz/CMakeLists.txt).
#include "tasknet/net/proxy_protocol.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "tasknet/net/socket.hpp"

namespace tasknet {
namespace {

constexpr const char* operation = "PROXY header";

/// One recv, EINTR retried: the bytes, 0 at end of stream, -1 when nothing is there. Throws
/// std::system_error for a reset or other error.
ssize_t receive_once(int fd, char* data, std::size_t size, int flags) {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, flags);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    throw std::system_error(errno, std::system_category(), "recv");
  }
}

/// Takes `size` bytes that a peek has already seen, so they are there to take.
void take(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = receive_once(fd, data, size, 0);
    if (n <= 0) throw ProxyHeaderError("bytes seen by a peek went missing");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

// The socket by reference, as Socket's own operations hold it: see the declaration's contract.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters)
Task<ProxyHeader> read_proxy_header(Socket& socket, WaitOptions options) {
  // The header's bytes taken so far; it lives in this frame, gone once the header is read.
  std::array<char, proxy_header_max_size> header{};
  std::size_t taken = 0;
  for (;;) {
    // A peek sees what has arrived without taking it: the client's bytes after the header must
    // stay in the socket. Bytes that parse as the start of an unfinished header are the header's,
    // so they are taken; then the socket is empty and waiting for more cannot spin on a level
    // that the unread bytes would keep up.
    const ssize_t seen =
        receive_once(socket.fd(), header.data() + taken, header.size() - taken, MSG_PEEK);
    if (seen < 0) {
      socket.descriptor().mark_not_ready(Direction::readable);
      const WaitStatus status = co_await socket.readable(options);
      if (status == WaitStatus::timed_out) throw TimedOut(operation);
      if (status == WaitStatus::cancelled) throw Cancelled(operation);
      continue;
    }
    if (seen == 0) {
      throw ProxyHeaderError(taken == 0 ? "connection closed before a header"
                                        : "connection closed inside the header");
    }
    const auto available = taken + static_cast<std::size_t>(seen);
    const ProxyHeaderParse parsed = parse_proxy_header({header.data(), available});
    if (parsed.status == ProxyHeaderParse::Status::malformed) throw ProxyHeaderError(parsed.error);
    if (parsed.status == ProxyHeaderParse::Status::complete) {
      take(socket.fd(), header.data() + taken, parsed.header.size - taken);
      co_return parsed.header;
    }
    // Never reached: the parser refuses a header before it outgrows the buffer.
    if (available == header.size()) throw ProxyHeaderError("header longer than its limit");
    take(socket.fd(), header.data() + taken, static_cast<std::size_t>(seen));
    taken = available;
  }
}

}  // namespace tasknet
