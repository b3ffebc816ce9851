#include "model/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace runnel::model {
namespace {

// Reflected Castagnoli polynomial.
constexpr uint32_t poly = 0x82F63B78u;

// table[0] is the classic byte-at-a-time table; table[k][b] is the CRC of
// byte b followed by k zero bytes, which lets the loop fold 8 bytes at once.
using slice_tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr slice_tables make_tables() {
  slice_tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr slice_tables tables = make_tables();

// Reads little-endian regardless of alignment; memcpy compiles to one load.
inline uint64_t load_le64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

using crc_fn = uint32_t (*)(std::span<const std::byte>, uint32_t);

crc_fn choose() {
  return crc32c_hardware_available() ? &crc32c_hardware : &crc32c_portable;
}

}  // namespace

uint32_t crc32c_portable(std::span<const std::byte> data, uint32_t crc) {
  // The public value is the finished (inverted) CRC, so undo that to resume.
  uint32_t c = ~crc;
  const std::byte* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t v = load_le64(p) ^ c;
    c = tables[7][v & 0xFF] ^ tables[6][(v >> 8) & 0xFF] ^ tables[5][(v >> 16) & 0xFF] ^
        tables[4][(v >> 24) & 0xFF] ^ tables[3][(v >> 32) & 0xFF] ^ tables[2][(v >> 40) & 0xFF] ^
        tables[1][(v >> 48) & 0xFF] ^ tables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ tables[0][(c ^ static_cast<uint8_t>(*p++)) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)

// Only these functions are built for SSE4.2, so the rest of the binary still
// runs on CPUs without it; crc32c() never calls them there.
__attribute__((target("sse4.2"))) uint32_t crc32c_hardware(std::span<const std::byte> data,
                                                           uint32_t crc) {
  uint64_t c = ~crc;
  const std::byte* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p++));
  return ~c32;
}

bool crc32c_hardware_available() {
  return __builtin_cpu_supports("sse4.2");
}

#else

// No hardware path on this architecture; keep the symbol so callers link.
uint32_t crc32c_hardware(std::span<const std::byte> data, uint32_t crc) {
  return crc32c_portable(data, crc);
}

bool crc32c_hardware_available() {
  return false;
}

#endif

uint32_t crc32c(std::span<const std::byte> data, uint32_t crc) {
  // Chosen once; the CPU does not change under a running process.
  static const crc_fn fn = choose();
  return fn(data, crc);
}

}  // namespace runnel::model
