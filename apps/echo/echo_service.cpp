// echo_handler: the seed's loop, one receive answered by one send, with no buffer held while the
// connection is idle.
#include "echo_service.hpp"

#include "tasknet/net/proxy_protocol.hpp"
#include "tasknet/scheduler.hpp"
#include "tasknet/time.hpp"
#include "tasknet/wait.hpp"

#include <algorithm>
#include <climits>
#include <system_error>

namespace tasknet::echo {

namespace {

constexpr std::size_t preferred_read_size = std::size_t{64} * 1024;
constexpr std::size_t max_runs_per_reply = IOV_MAX / 2;  // a prefix and a run each

std::size_t read_size_for(std::size_t recv_size) {
  return std::min(std::max(recv_size, preferred_read_size), recv_size * max_runs_per_reply);
}

std::size_t pieces_for(const EchoConfig& config, std::size_t read_size) {
  if (config.prefix.empty()) return 1;  // a pure echo needs no cutting
  return 2 * ((read_size + config.recv_size - 1) / config.recv_size);
}

}  // namespace

EchoService::EchoService(EchoConfig config)
    : config_(std::move(config)),
      read_size_(read_size_for(config_.recv_size)),
      iov_bytes_(pieces_for(config_, read_size_) * sizeof(iovec)),
      buffers_(iov_bytes_ + read_size_, 64, iov_bytes_) {
  if (config_.drainable) drain_token_ = drain_.get_token();
}

std::span<iovec> EchoService::reply_pieces(Received& received) const {
  // The iovecs go in the buffer's headroom, before the bytes.
  const std::span<iovec> pieces{reinterpret_cast<iovec*>(received.buffer.data()),
                                iov_bytes_ / sizeof(iovec)};
  char* const data = received.bytes().data();
  const std::size_t size = received.size;
  if (config_.prefix.empty()) {
    pieces[0] = {data, size};
    return pieces.first(1);
  }
  std::size_t count = 0;
  for (std::size_t at = 0; at < size; at += config_.recv_size) {
    pieces[count++] = {const_cast<char*>(config_.prefix.data()), config_.prefix.size()};
    pieces[count++] = {data + at, std::min(config_.recv_size, size - at)};
  }
  return pieces.first(count);
}

Task<void> EchoService::connection_handler(Socket client, Address peer) {
  if (config_.proxy_protocol) return read_header_then_serve(std::move(client), peer);
  return echo_handler(std::move(client), peer);
}

Task<void> EchoService::read_header_then_serve(Socket client, Address peer) {
  if (!config_.proxy_protocol_from.empty() && !any_contains(config_.proxy_protocol_from, peer)) {
    log_refused(peer, "not in --proxy-protocol-from");
    co_return;  // closed without reading or answering a byte
  }
  Address address = peer;  // for the LOCAL and UNKNOWN headers: the real endpoints
  try {
    // The drain token too: a server shutting down does not wait for headers.
    const ProxyHeader header = co_await read_proxy_header(
        client, {.deadline = after(proxy_header_timeout), .stop = drain_token_});
    if (header.proxied()) address = header.source;
  } catch (const std::system_error& error) {
    log_refused(peer, error.what());
    co_return;
  }
  Scheduler& scheduler = co_await this_scheduler();
  scheduler.spawn(echo_handler(std::move(client), address));
}

Task<void> EchoService::echo_handler(Socket client, Address address) {
  ++stats_.accepted;
  if (failures_this_episode_ > 0) end_accept_failure_episode();
  if (config_.max_connections > 0 && stats_.open >= config_.max_connections) {
    ++stats_.over_limit;  // accepted and closed at once: the client reads end of stream
    co_return;
  }
  // Counted down on every way out rather than by a guard object: every byte of this frame is
  // paid by every idle connection.
  ++stats_.open;
  log_opened(address);
  try {
    for (;;) {
      // The seed's `yield 'recv', client` and `client.recv(1000)` in one, with the idle timeout
      // when there is one. The bytes arrive in a pooled buffer: only a connection with data in
      // hand holds one, so idle ones cost their frame alone, which is why this loop keeps no
      // more locals than it must (each is in the frame).
      Received received = co_await client.receive_for(buffers_, config_.idle_timeout, drain_token_);
      if (received.status == WaitStatus::timed_out) {
        ++stats_.idle_timeouts;
        log_closed("idle timeout");
        break;
      }
      if (received.status == WaitStatus::cancelled) {  // draining: no exchange is under way
        log_closed("server shutting down");
        close_gracefully(std::move(client));
        break;
      }
      if (received.end_of_stream()) {  // the peer closed: `if not data: break`
        log_closed(nullptr);
        break;
      }
      stats_.bytes_in += received.size;
      // The seed's `yield 'send', client` and `client.send(b'GOT:' + data)`, minus its bug:
      // send() may take only part, so send_all waits for room until every byte has gone. The
      // idle timeout goes on while it waits: a peer that takes no byte of its reply for that
      // long has stopped reading, or vanished.
      co_await client.send_all_for(reply_pieces(received), config_.idle_timeout);
      stats_.bytes_out += received.size + config_.prefix.size() * runs_in(received);
    }
  } catch (const std::system_error& error) {
    closed_by(error);
  } catch (...) {
    --stats_.open;
    throw;
  }
  --stats_.open;
}

void EchoService::close_gracefully(Socket client) {
  Scheduler* scheduler = client.descriptor().scheduler();
  if (scheduler == nullptr) return;
  try {
    client.shutdown_write();
    scheduler->spawn(discard_until_closed(std::move(client)));
  } catch (const std::exception&) {
    // Already gone: closing it is all that is left.
  }
}

Task<void> EchoService::discard_until_closed(Socket client) {
  ++stats_.open;  // still open: a graceful shutdown waits for it (until its deadline)
  try {
    for (;;) {
      const Received received = co_await client.receive(buffers_);
      if (received.status != WaitStatus::ready) break;
      if (received.end_of_stream()) break;  // the peer has closed: nothing will be lost now
    }
  } catch (const std::system_error&) {
    // A reset peer needs nothing more.
  }
  --stats_.open;
}

void EchoService::closed_by(const std::system_error& error) {
  if (dynamic_cast<const TimedOut*>(&error) != nullptr) {  // send_all_for's idle timeout
    ++stats_.idle_timeouts;
    log_closed("idle timeout, reply not read");
    return;
  }
  const std::error_code code = error.code();
  if (code == std::errc::timed_out) {
    ++stats_.dead_peers;  // ETIMEDOUT from the kernel: keepalive or TCP_USER_TIMEOUT
  } else if (code == std::errc::connection_reset || code == std::errc::broken_pipe) {
    ++stats_.resets;
  } else {
    ++stats_.other_errors;
  }
  log_closed(error.what());
}

std::size_t EchoService::runs_in(const Received& received) const noexcept {
  const std::size_t size = received.size;
  return config_.prefix.empty() ? 1 : (size + config_.recv_size - 1) / config_.recv_size;
}

void EchoService::accept_failed(const std::system_error& error, OutputLog* errors) {
  ++stats_.accept_failures;
  if (failures_this_episode_++ == 0 && errors != nullptr) {
    // Once per episode: a server out of descriptors fails every accept until one closes.
    errors->print("tasknet-echo: %s; backing off until accepting works again\n", error.what());
    accept_errors_ = errors;
  }
}

void EchoService::end_accept_failure_episode() {
  if (accept_errors_ != nullptr) {
    accept_errors_->print("tasknet-echo: accepting again after %llu failed attempts\n",
                          static_cast<unsigned long long>(failures_this_episode_));
  }
  failures_this_episode_ = 0;
}

void EchoService::log_opened(const Address& address) const {
  if (config_.log == nullptr) return;
  config_.log->print("Connection from %s\n", address.to_string().c_str());
}

void EchoService::log_refused(const Address& peer, const char* reason) const {
  if (config_.log == nullptr) return;
  config_.log->print("Connection from %s refused: %s\n", peer.to_string().c_str(), reason);
}

void EchoService::log_closed(const char* reason) const {
  if (config_.log == nullptr) return;
  if (reason == nullptr) {
    config_.log->write("Connection closed\n");
  } else {
    config_.log->print("Connection closed: %s\n", reason);
  }
}

}  // namespace tasknet::echo
