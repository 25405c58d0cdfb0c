#include "payload.hpp"

#include <cstring>
#include <random>

namespace tasknet::bench {

PayloadPattern::PayloadPattern(char avoid, std::size_t block_size, std::uint32_t seed)
    : block_size_(block_size) {
  std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::erase(alphabet, avoid);
  std::mt19937 random(seed);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string block(block_size, '\0');
  for (char& c : block) c = alphabet[pick(random)];
  twice_ = block + block;
}

ReplyVerifier::ReplyVerifier(const PayloadPattern& pattern, std::string prefix)
    : pattern_(pattern), prefix_(std::move(prefix)), in_payload_(prefix_.empty()) {}

bool ReplyVerifier::fail(std::string what) {
  error_ = std::move(what) + " at reply byte " + std::to_string(stream_offset_);
  return false;
}

bool ReplyVerifier::feed(std::string_view received) {
  while (!received.empty()) {
    if (!in_payload_) {
      // Inside a prefix: every byte must be the next one of it.
      if (received.front() != prefix_[prefix_matched_]) return fail("expected the prefix");
      received.remove_prefix(1);
      ++stream_offset_;
      if (++prefix_matched_ == prefix_.size()) {
        in_payload_ = true;
        chunk_bytes_ = 0;
      }
      continue;
    }
    // Payload runs until the next prefix (its first byte never occurs in the payload).
    std::size_t run = received.size();
    if (!prefix_.empty()) {
      if (const void* next = std::memchr(received.data(), prefix_[0], received.size())) {
        run = static_cast<std::size_t>(static_cast<const char*>(next) - received.data());
      }
    }
    for (std::size_t done = 0; done < run;) {
      const std::size_t piece = std::min(run - done, pattern_.block_size());
      if (std::memcmp(received.data() + done, pattern_.slice(payload_offset_, piece).data(),
                      piece) != 0) {
        return fail("payload differs from what was sent (payload byte " +
                    std::to_string(payload_offset_) + ")");
      }
      payload_offset_ += piece;
      done += piece;
    }
    chunk_bytes_ += run;
    stream_offset_ += run;
    received.remove_prefix(run);
    if (!received.empty()) {  // a prefix starts here
      if (chunk_bytes_ == 0) return fail("prefix with no payload after it");
      in_payload_ = false;
      prefix_matched_ = 0;
    }
  }
  return true;
}

}  // namespace tasknet::bench
