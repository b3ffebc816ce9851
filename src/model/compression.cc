#include "model/compression.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

// Every decoder treats its input as hostile: it comes straight from a client.
// Each returns corrupt_input for anything the library rejects, for truncated
// streams and for trailing bytes that are not another complete frame, and
// stops with output_too_large as soon as the output passes max_output.
// Allocation failures inside the libraries are reported as std::bad_alloc,
// the same as a failed std::vector allocation would be.

namespace runnel::model {
namespace {

class codec_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "runnel.codec"; }
  std::string message(int ev) const override {
    switch (static_cast<codec_errc>(ev)) {
      case codec_errc::unknown_codec:
        return "unknown compression codec";
      case codec_errc::corrupt_input:
        return "compressed data is corrupt or truncated";
      case codec_errc::output_too_large:
        return "decompressed data exceeds the size limit";
    }
    return "unknown codec error";
  }
};

std::error_code fail(codec_errc e) {
  return make_error_code(e);
}

// --- output buffer ---------------------------------------------------------

// A growing output buffer that refuses to hold more than max_output + 1
// bytes. Letting a decoder write that one extra byte is how we learn the
// output is too large without decoding the rest of a bomb.
class bounded_output {
 public:
  bounded_output(size_t max_output, size_t input_size)
      : max_(max_output),
        cap_(max_output == std::numeric_limits<size_t>::max() ? max_output : max_output + 1) {
    // Compressed batches are typically 2-10x smaller than their contents.
    size_t guess = input_size > std::numeric_limits<size_t>::max() / 4 ? cap_ : input_size * 4;
    buf_.resize(std::min(cap_, std::max(guess, size_t{4096})));
  }

  // Free space at the end, grown as needed; empty only once the cap is hit.
  std::span<std::byte> space() {
    if (used_ == buf_.size() && buf_.size() < cap_) {
      size_t grown = buf_.size() > cap_ / 2 ? cap_ : buf_.size() * 2;
      buf_.resize(grown);
    }
    return std::span(buf_).subspan(used_);
  }
  void commit(size_t n) { used_ += n; }
  bool over_limit() const { return used_ > max_; }
  std::vector<std::byte> take() && {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  size_t max_;
  size_t cap_;
  size_t used_ = 0;
  std::vector<std::byte> buf_;
};

// zlib counts in 32-bit uInt, so large spans are fed in pieces.
uInt clamp_uint(size_t n) {
  return static_cast<uInt>(std::min<size_t>(n, UINT_MAX));
}

// --- gzip --------------------------------------------------------------------

result<std::vector<std::byte>> gzip_decompress(std::span<const std::byte> in, size_t max_output) {
  z_stream zs{};
  // 15 + 32: full window, and accept a gzip (or zlib) header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::bad_alloc();
  struct guard {
    z_stream* s;
    ~guard() { inflateEnd(s); }
  } g{&zs};

  bounded_output out(max_output, in.size());
  size_t fed = 0;
  for (;;) {
    if (zs.avail_in == 0 && fed < in.size()) {
      // zlib's next_in is not const-qualified but it never writes through it.
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + fed));
      zs.avail_in = clamp_uint(in.size() - fed);
      fed += zs.avail_in;
    }
    auto space = out.space();
    if (space.empty()) return fail(codec_errc::output_too_large);
    zs.next_out = reinterpret_cast<Bytef*>(space.data());
    zs.avail_out = clamp_uint(space.size());
    uInt before = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.commit(before - zs.avail_out);
    if (out.over_limit()) return fail(codec_errc::output_too_large);

    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && fed == in.size()) break;
      // gzip allows concatenated members (RFC 1952 2.2); `gzip -c a b`
      // writes them. Anything else left over is rejected by the next round.
      if (inflateReset(&zs) != Z_OK) return fail(codec_errc::corrupt_input);
      continue;
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    // Z_BUF_ERROR here means no progress was possible although output space
    // was offered: the input ended mid-stream.
    if (rc != Z_OK) return fail(codec_errc::corrupt_input);
  }
  return std::move(out).take();
}

std::vector<std::byte> gzip_compress(std::span<const std::byte> in) {
  z_stream zs{};
  // 15 + 16: full window, gzip wrapper. Level 6 is what the Java client's
  // GZIPOutputStream uses.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  struct guard {
    z_stream* s;
    ~guard() { deflateEnd(s); }
  } g{&zs};

  std::vector<std::byte> out(deflateBound(&zs, in.size()));
  size_t used = 0;
  size_t fed = 0;
  for (;;) {
    if (zs.avail_in == 0 && fed < in.size()) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + fed));
      zs.avail_in = clamp_uint(in.size() - fed);
      fed += zs.avail_in;
    }
    if (used == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = clamp_uint(out.size() - used);
    uInt before = zs.avail_out;
    int rc = deflate(&zs, fed == in.size() ? Z_FINISH : Z_NO_FLUSH);
    used += before - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::bad_alloc();
  }
  out.resize(used);
  return out;
}

// --- snappy ------------------------------------------------------------------

constexpr std::array<uint8_t, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00};
constexpr size_t xerial_header_size = 16;  // magic, int32 version, int32 compatible version
constexpr int32_t xerial_version = 1;
// The Java client (snappy-java's SnappyOutputStream) cuts its input into
// blocks of 32 KiB; matching it keeps our output readable by every consumer.
constexpr size_t xerial_block_size = 32 * 1024;

uint32_t load_be32(const std::byte* p) {
  return (uint32_t{static_cast<uint8_t>(p[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(p[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(p[2])} << 8) | uint32_t{static_cast<uint8_t>(p[3])};
}

void append_be32(std::vector<std::byte>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>(v >> shift));
}

// Appends one raw snappy block to `out`, keeping the total within max_output.
std::error_code snappy_append_raw(std::span<const std::byte> block, std::vector<std::byte>& out,
                                  size_t max_output) {
  auto src = reinterpret_cast<const char*>(block.data());
  size_t len = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &len))
    return fail(codec_errc::corrupt_input);
  // Check before allocating: the length is whatever the sender claims.
  if (len > max_output - out.size()) return fail(codec_errc::output_too_large);
  size_t at = out.size();
  out.resize(at + len);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at)))
    return fail(codec_errc::corrupt_input);
  return {};
}

result<std::vector<std::byte>> snappy_decompress(std::span<const std::byte> in, size_t max_output) {
  std::vector<std::byte> out;
  if (!is_xerial_snappy(in)) {
    if (auto ec = snappy_append_raw(in, out, max_output)) return ec;
    return out;
  }
  // The version fields are not checked: snappy-java itself only reads them
  // for diagnostics, and the block layout has never changed.
  if (in.size() < xerial_header_size) return fail(codec_errc::corrupt_input);
  auto rest = in.subspan(xerial_header_size);
  while (!rest.empty()) {
    if (rest.size() < 4) return fail(codec_errc::corrupt_input);
    uint32_t len = load_be32(rest.data());
    rest = rest.subspan(4);
    if (len > rest.size()) return fail(codec_errc::corrupt_input);
    if (auto ec = snappy_append_raw(rest.first(len), out, max_output)) return ec;
    rest = rest.subspan(len);
  }
  return out;
}

void snappy_append_compressed(std::span<const std::byte> in, std::vector<std::byte>& out) {
  size_t at = out.size();
  out.resize(at + snappy::MaxCompressedLength(in.size()));
  size_t len = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data() + at), &len);
  out.resize(at + len);
}

std::vector<std::byte> snappy_compress(std::span<const std::byte> in, snappy_framing framing) {
  std::vector<std::byte> out;
  if (framing == snappy_framing::raw) {
    snappy_append_compressed(in, out);
    return out;
  }
  for (uint8_t b : xerial_magic) out.push_back(static_cast<std::byte>(b));
  append_be32(out, xerial_version);
  append_be32(out, xerial_version);  // compatible version
  while (!in.empty()) {
    auto block = in.first(std::min(in.size(), xerial_block_size));
    in = in.subspan(block.size());
    size_t len_at = out.size();
    append_be32(out, 0);  // patched below once the block length is known
    snappy_append_compressed(block, out);
    auto len = static_cast<uint32_t>(out.size() - len_at - 4);
    for (int i = 0; i < 4; ++i) out[len_at + i] = static_cast<std::byte>(len >> (24 - 8 * i));
  }
  return out;
}

// --- lz4 ---------------------------------------------------------------------

result<std::vector<std::byte>> lz4_decompress(std::span<const std::byte> in, size_t max_output) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) throw std::bad_alloc();
  struct guard {
    LZ4F_dctx* c;
    ~guard() { LZ4F_freeDecompressionContext(c); }
  } g{ctx};

  bounded_output out(max_output, in.size());
  size_t pos = 0;
  for (;;) {
    auto space = out.space();
    if (space.empty()) return fail(codec_errc::output_too_large);
    size_t dst_size = space.size();
    size_t src_size = in.size() - pos;
    // Returns 0 exactly at the end of a frame; the context is then ready
    // for another frame, so concatenated frames decode as one stream.
    size_t hint =
        LZ4F_decompress(ctx, space.data(), &dst_size, in.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) return fail(codec_errc::corrupt_input);
    pos += src_size;
    out.commit(dst_size);
    if (out.over_limit()) return fail(codec_errc::output_too_large);
    if (pos == in.size()) {
      if (hint == 0) break;
      // All input used, output not full, frame not finished: truncated.
      if (dst_size < space.size()) return fail(codec_errc::corrupt_input);
    } else if (src_size == 0 && dst_size == 0) {
      return fail(codec_errc::corrupt_input);  // no progress: never loop forever
    }
  }
  return std::move(out).take();
}

std::vector<std::byte> lz4_compress(std::span<const std::byte> in) {
  LZ4F_preferences_t prefs{};
  // The Java client's KafkaLZ4BlockInputStream accepts only independent
  // blocks (liblz4 defaults to linked ones) and does not expect a content
  // size; 64 KiB blocks are what it writes itself.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.contentSize = 0;
  std::vector<std::byte> out(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t len = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  // The bound makes any failure an allocation failure.
  if (LZ4F_isError(len)) throw std::bad_alloc();
  out.resize(len);
  return out;
}

// --- zstd --------------------------------------------------------------------

result<std::vector<std::byte>> zstd_decompress(std::span<const std::byte> in, size_t max_output) {
  // Streaming, because clients (e.g. zstd-jni's stream API) need not record
  // the content size in the frame header, and a recorded size is just a claim.
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) throw std::bad_alloc();
  struct guard {
    ZSTD_DCtx* c;
    ~guard() { ZSTD_freeDCtx(c); }
  } g{ctx};

  bounded_output out(max_output, in.size());
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    auto space = out.space();
    if (space.empty()) return fail(codec_errc::output_too_large);
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    size_t in_before = src.pos;
    size_t rc = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(rc)) {
      if (ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation) throw std::bad_alloc();
      return fail(codec_errc::corrupt_input);
    }
    out.commit(dst.pos);
    if (out.over_limit()) return fail(codec_errc::output_too_large);
    // rc == 0: a frame is complete and fully flushed. Further input is
    // taken as another frame, as the zstd format allows.
    if (src.pos == src.size) {
      if (rc == 0) break;
      // All input used, output not full, frame not finished: truncated.
      if (dst.pos < dst.size) return fail(codec_errc::corrupt_input);
    } else if (src.pos == in_before && dst.pos == 0) {
      return fail(codec_errc::corrupt_input);  // no progress: never loop forever
    }
  }
  return std::move(out).take();
}

std::vector<std::byte> zstd_compress(std::span<const std::byte> in) {
  std::vector<std::byte> out(ZSTD_compressBound(in.size()));
  size_t len = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), ZSTD_CLEVEL_DEFAULT);
  // The bound makes any failure an allocation failure.
  if (ZSTD_isError(len)) throw std::bad_alloc();
  out.resize(len);
  return out;
}

}  // namespace

const std::error_category& codec_category() {
  static const codec_category_impl instance;
  return instance;
}

std::error_code make_error_code(codec_errc e) {
  return {static_cast<int>(e), codec_category()};
}

bool is_xerial_snappy(std::span<const std::byte> in) {
  if (in.size() < xerial_magic.size()) return false;
  return std::equal(xerial_magic.begin(), xerial_magic.end(), in.begin(),
                    [](uint8_t m, std::byte b) { return m == static_cast<uint8_t>(b); });
}

result<std::vector<std::byte>> decompress(compression codec, std::span<const std::byte> in,
                                          size_t max_output) {
  switch (codec) {
    case compression::none:
      // Uncompressed batches are passed through as a copy, so callers need
      // no special case; the size limit still applies.
      if (in.size() > max_output) return fail(codec_errc::output_too_large);
      return std::vector<std::byte>(in.begin(), in.end());
    case compression::gzip:
      return gzip_decompress(in, max_output);
    case compression::snappy:
      return snappy_decompress(in, max_output);
    case compression::lz4:
      return lz4_decompress(in, max_output);
    case compression::zstd:
      return zstd_decompress(in, max_output);
  }
  // The attribute bits can hold 5..7, which no Kafka version defines.
  return fail(codec_errc::unknown_codec);
}

result<std::vector<std::byte>> compress(compression codec, std::span<const std::byte> in,
                                        snappy_framing framing) {
  switch (codec) {
    case compression::none:
      return std::vector<std::byte>(in.begin(), in.end());  // a copy, as in decompress
    case compression::gzip:
      return gzip_compress(in);
    case compression::snappy:
      return snappy_compress(in, framing);
    case compression::lz4:
      return lz4_compress(in);
    case compression::zstd:
      return zstd_compress(in);
  }
  return fail(codec_errc::unknown_codec);
}

}  // namespace runnel::model
