// What tasknet-bench sends, and how it checks what comes back: every connection sends one
// endless deterministic byte stream, and the replies, with the server's prefix taken out of
// them, must be exactly that stream again: every byte once, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tasknet::bench {

/// A block of pseudo-random bytes, stored twice over so that any slice of up to block_size()
/// bytes at any offset is contiguous: sending needs no copy.
class PayloadPattern {
 public:
  /// Bytes are drawn from an alphabet without `avoid` (the prefix's first byte), so every
  /// occurrence of it in a reply starts a prefix.
  explicit PayloadPattern(char avoid, std::size_t block_size = 1 << 20, std::uint32_t seed = 1);

  [[nodiscard]] std::size_t block_size() const noexcept { return block_size_; }
  /// `size` bytes of the stream from `offset`; size <= block_size().
  [[nodiscard]] std::string_view slice(std::uint64_t offset, std::size_t size) const noexcept {
    return {twice_.data() + offset % block_size_, size};
  }

 private:
  std::size_t block_size_;
  std::string twice_;
};

/// Checks a reply stream, fed in pieces as they arrive: prefix, then 1 or more payload bytes,
/// again and again; the payload must equal the pattern's stream from offset 0.
class ReplyVerifier {
 public:
  ReplyVerifier(const PayloadPattern& pattern, std::string prefix);

  /// Takes the next received bytes. Returns false at the first byte that breaks the protocol or
  /// differs from what was sent; error() then says what and where.
  bool feed(std::string_view received);

  /// Payload bytes verified so far.
  [[nodiscard]] std::uint64_t payload_bytes() const noexcept { return payload_offset_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  bool fail(std::string what);

  const PayloadPattern& pattern_;
  std::string prefix_;
  std::size_t prefix_matched_ = 0;    // bytes of the current prefix seen
  bool in_payload_ = false;           // a prefix is complete and its payload has begun
  std::size_t chunk_bytes_ = 0;       // payload bytes after the current prefix
  std::uint64_t payload_offset_ = 0;  // payload bytes verified, = offset in the stream
  std::uint64_t stream_offset_ = 0;   // reply bytes seen, for error messages
  std::string error_;
};

}  // namespace tasknet::bench
