#include "connect/objstore/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <fmt/format.h>

namespace runnel::connect::objstore {

namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i];
    if (a >= 'A' && a <= 'Z') a = char(a - 'A' + 'a');
    if (a != suffix[i]) return false;
  }
  return true;
}

class identity final : public decompressor {
 public:
  result<void> feed(std::string_view in, std::string& out) override {
    out.append(in);
    return ok();
  }
  result<void> finish() override { return ok(); }
};

class gzip_decompressor final : public decompressor {
 public:
  gzip_decompressor() { reset(); }
  ~gzip_decompressor() override { inflateEnd(&z_); }

  result<void> feed(std::string_view in, std::string& out) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = uInt(in.size());
    if (!in.empty()) fed_ = true;
    char buf[64 * 1024];
    while (z_.avail_in > 0) {
      if (ended_) {
        // Another gzip member follows (as `cat a.gz b.gz` makes).
        inflateEnd(&z_);
        auto* next = z_.next_in;
        auto left = z_.avail_in;
        reset();
        z_.next_in = next;
        z_.avail_in = left;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = inflate(&z_, Z_NO_FLUSH);
      out.append(buf, sizeof buf - z_.avail_out);
      if (rc == Z_STREAM_END) {
        ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return make_error(errc::data, fmt::format("not gzip data: {}", z_.msg ? z_.msg : "error"));
      }
    }
    return ok();
  }
  result<void> finish() override {
    if (fed_ && !ended_) return make_error(errc::data, "the gzip data is truncated");
    return ok();
  }

 private:
  void reset() {
    z_ = z_stream{};
    inflateInit2(&z_, 15 + 16);  // gzip wrapper only
    ended_ = false;
  }
  z_stream z_{};
  bool ended_ = false;
  bool fed_ = false;
};

class zstd_decompressor final : public decompressor {
 public:
  zstd_decompressor() : z_(ZSTD_createDStream()) { ZSTD_initDStream(z_); }
  ~zstd_decompressor() override { ZSTD_freeDStream(z_); }

  result<void> feed(std::string_view in, std::string& out) override {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    char buf[64 * 1024];
    bool full = false;  // the decoder may hold more output for this input
    while (input.pos < input.size || full) {
      ZSTD_outBuffer output{buf, sizeof buf, 0};
      size_t rc = ZSTD_decompressStream(z_, &output, &input);
      if (ZSTD_isError(rc)) {
        return make_error(errc::data, fmt::format("not zstd data: {}", ZSTD_getErrorName(rc)));
      }
      out.append(buf, output.pos);
      pending_ = rc != 0;  // 0: a frame just ended
      full = output.pos == output.size;
    }
    return ok();
  }
  result<void> finish() override {
    if (pending_) return make_error(errc::data, "the zstd data is truncated");
    return ok();
  }

 private:
  ZSTD_DStream* z_;
  bool pending_ = false;
};

}  // namespace

compression compression_of(std::string_view key) {
  if (ends_with_ci(key, ".gz") || ends_with_ci(key, ".gzip")) return compression::gzip;
  if (ends_with_ci(key, ".zst") || ends_with_ci(key, ".zstd")) return compression::zstd;
  return compression::none;
}

std::string_view compression_name(compression c) {
  switch (c) {
    case compression::gzip:
      return "gzip";
    case compression::zstd:
      return "zstd";
    case compression::none:
      break;
  }
  return "none";
}

std::string compress_whole(compression c, std::string_view plain) {
  if (c == compression::zstd) {
    std::string out(ZSTD_compressBound(plain.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3));
    return out;
  }
  if (c == compression::gzip) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, uLong(plain.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    z.avail_in = uInt(plain.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  }
  return std::string(plain);
}

std::string_view compression_extension(compression c) {
  switch (c) {
    case compression::gzip:
      return ".gz";
    case compression::zstd:
      return ".zst";
    case compression::none:
      break;
  }
  return "";
}

std::unique_ptr<decompressor> make_decompressor(compression c) {
  switch (c) {
    case compression::gzip:
      return std::make_unique<gzip_decompressor>();
    case compression::zstd:
      return std::make_unique<zstd_decompressor>();
    case compression::none:
      break;
  }
  return std::make_unique<identity>();
}

}  // namespace runnel::connect::objstore
