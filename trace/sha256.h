// SHA-256 (FIPS 180-4) for content-addressed blobs and state digests, and a
// fast non-cryptographic checksum for event batches.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trace {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  std::array<uint8_t, 32> digest();
  std::string hex_digest();
  // Whether the CPU's SHA extensions do the work (they give the same
  // digests, several times faster); tests can turn them off.
  static bool accelerated();
  static void set_accelerated(bool on);

 private:
  void block(const uint8_t* p);
  void blocks(const uint8_t* p, size_t n);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);

// 64-bit checksum that detects any flipped bit in a batch; not cryptographic.
uint64_t checksum64(const void* data, size_t len);

}  // namespace trace
