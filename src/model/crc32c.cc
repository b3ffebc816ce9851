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

namespace {

// The hardware loop runs three independent crc32 streams (the instruction
// has a latency of three cycles but a throughput of one per cycle) and
// merges them with "append n zero bytes" operators, as in Mark Adler's
// crc32c.c. zeros_table(n) applies the operator for n zero bytes (n a power
// of two) through four byte-indexed tables.
uint32_t gf2_times(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    ++mat;
  }
  return sum;
}

void gf2_square(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = gf2_times(mat, mat[n]);
}

using shift_table = std::array<std::array<uint32_t, 256>, 4>;

shift_table zeros_table(size_t len) {
  uint32_t even[32], odd[32];
  odd[0] = poly;  // one zero bit
  uint32_t row = 1;
  for (int n = 1; n < 32; ++n) {
    odd[n] = row;
    row <<= 1;
  }
  gf2_square(even, odd);  // two zero bits
  gf2_square(odd, even);  // four zero bits
  const uint32_t* op = even;
  for (;;) {  // squaring walks up the powers of two: one byte, two, four...
    gf2_square(even, odd);
    len >>= 1;
    if (len == 0) {
      op = even;
      break;
    }
    gf2_square(odd, even);
    len >>= 1;
    if (len == 0) {
      op = odd;
      break;
    }
  }
  shift_table t{};
  for (uint32_t n = 0; n < 256; ++n) {
    t[0][n] = gf2_times(op, n);
    t[1][n] = gf2_times(op, n << 8);
    t[2][n] = gf2_times(op, n << 16);
    t[3][n] = gf2_times(op, n << 24);
  }
  return t;
}

constexpr size_t long_block = 8192;
constexpr size_t short_block = 256;

inline uint32_t shift(const shift_table& t, uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

inline uint64_t load64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

// Only these functions are built for SSE4.2, so the rest of the binary still
// runs on CPUs without it; crc32c() never calls them there.
__attribute__((target("sse4.2"))) uint32_t crc32c_hardware(std::span<const std::byte> data,
                                                           uint32_t crc) {
  static const shift_table long_shift = zeros_table(long_block);
  static const shift_table short_shift = zeros_table(short_block);
  uint64_t c0 = uint32_t(~crc);
  const std::byte* p = data.data();
  size_t n = data.size();
  while (n >= 3 * long_block) {
    uint64_t c1 = 0, c2 = 0;
    for (const std::byte* end = p + long_block; p < end; p += 8) {
      c0 = _mm_crc32_u64(c0, load64(p));
      c1 = _mm_crc32_u64(c1, load64(p + long_block));
      c2 = _mm_crc32_u64(c2, load64(p + 2 * long_block));
    }
    c0 = shift(long_shift, uint32_t(c0)) ^ uint32_t(c1);
    c0 = shift(long_shift, uint32_t(c0)) ^ uint32_t(c2);
    p += 2 * long_block;
    n -= 3 * long_block;
  }
  while (n >= 3 * short_block) {
    uint64_t c1 = 0, c2 = 0;
    for (const std::byte* end = p + short_block; p < end; p += 8) {
      c0 = _mm_crc32_u64(c0, load64(p));
      c1 = _mm_crc32_u64(c1, load64(p + short_block));
      c2 = _mm_crc32_u64(c2, load64(p + 2 * short_block));
    }
    c0 = shift(short_shift, uint32_t(c0)) ^ uint32_t(c1);
    c0 = shift(short_shift, uint32_t(c0)) ^ uint32_t(c2);
    p += 2 * short_block;
    n -= 3 * short_block;
  }
  while (n >= 8) {
    c0 = _mm_crc32_u64(c0, load64(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c0);
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
