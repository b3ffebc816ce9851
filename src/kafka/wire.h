// Kafka protocol primitives: a bounds-checked reader and a writer for the
// wire types (int8..int64, varints, strings, bytes, arrays, UUIDs, tagged
// fields), and the two "archives" that let one serde() function per message
// both decode and encode it (decoder / encoder below).
//
// Errors are sticky: a read past the end, a negative length where none is
// allowed, or an absurd count sets the reader's error and every later read
// returns zero values. Callers check ok() once at the end. Nothing here
// allocates more than the input can justify (counts are checked against the
// bytes left), so hostile input cannot make it allocate gigabytes.
//
// Pure computation, no I/O; not thread-safe per object.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/endian.h"

namespace runnel::kafka {

using uuid = std::array<uint8_t, 16>;

// Record bytes inside a message. Decoding points into the request buffer
// (mutable, so the broker can assign offsets in place); encoding may instead
// carry file ranges that the network layer sends without copying.
struct file_chunk {
  std::shared_ptr<void> file;  // opaque to this module; the broker knows its type
  uint64_t pos = 0;
  uint64_t len = 0;
};

struct records_field {
  bool null = true;
  std::span<std::byte> bytes;      // decoded, or small in-memory records to encode
  std::vector<file_chunk> chunks;  // to encode: sent after `bytes`
  uint64_t size() const {
    uint64_t n = bytes.size();
    for (const auto& c : chunks) n += c.len;
    return n;
  }
};

class reader {
 public:
  explicit reader(std::span<std::byte> in) : in_(in) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  void fail() { ok_ = false; }

  int8_t i8();
  int16_t i16();
  int32_t i32();
  int64_t i64();
  uint16_t u16();
  uint32_t u32();
  double f64();
  bool boolean() { return i8() != 0; }
  uint32_t uvarint();
  int32_t varint();
  int64_t varlong();
  uuid read_uuid();

  std::string string(bool compact);
  std::optional<std::string> nullable_string(bool compact);
  std::span<std::byte> bytes(bool compact);
  std::optional<std::span<std::byte>> nullable_bytes(bool compact);
  // Element count of an array; -1 for null. Fails if count exceeds what the
  // remaining bytes could hold at `min_element_bytes` each.
  int32_t array_length(bool compact, size_t min_element_bytes = 1);
  // Skips a tagged-field section (flexible versions).
  void skip_tags();

 private:
  std::span<std::byte> take(size_t n);
  std::span<std::byte> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// A response or request being encoded: a memory buffer plus file chunks
// spliced in at given offsets.
class writer {
 public:
  struct piece {
    size_t mem_end;    // memory bytes [previous mem_end, mem_end) come first
    file_chunk chunk;  // then this chunk
  };

  void i8(int8_t v) { put_be(v); }
  void i16(int16_t v) { put_be(v); }
  void i32(int32_t v) { put_be(v); }
  void i64(int64_t v) { put_be(v); }
  void u16(uint16_t v) { put_be(v); }
  void u32(uint32_t v) { put_be(v); }
  void f64(double v);
  void boolean(bool v) { i8(v ? 1 : 0); }
  void uvarint(uint32_t v);
  void varint(int32_t v);
  void varlong(int64_t v);
  void write_uuid(const uuid& u) { raw({reinterpret_cast<const std::byte*>(u.data()), 16}); }

  void string(std::string_view s, bool compact);
  void nullable_string(const std::optional<std::string>& s, bool compact);
  void bytes(std::span<const std::byte> b, bool compact);
  void nullable_bytes(const std::optional<std::span<const std::byte>>& b, bool compact);
  void records(const records_field& r, bool compact);
  void array_length(int32_t n, bool compact);  // n = -1 for null
  void empty_tags() { uvarint(0); }

  void raw(std::span<const std::byte> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // Placeholder for an int32 filled in later (frame sizes).
  size_t reserve_i32();
  void patch_i32(size_t at, int32_t v);

  size_t mem_size() const { return buf_.size(); }
  uint64_t total_size() const;  // memory plus file chunks
  std::vector<std::byte>& buffer() { return buf_; }
  const std::vector<std::byte>& buffer() const { return buf_; }
  const std::vector<piece>& pieces() const { return pieces_; }

 private:
  template <class T>
  void put_be(T v) {
    const size_t at = buf_.size();
    buf_.resize(at + sizeof(T));
    model::store_be<T>(buf_.data() + at, v);
  }
  std::vector<std::byte> buf_;
  std::vector<piece> pieces_;
  uint64_t chunk_bytes_ = 0;
};

// The archives. A message declares
//   template <class A> void serde(A& a);
// using a.version / a.flexible and the field functions below; decode() and
// encode() run it with a decoder or an encoder.
struct decoder {
  reader& r;
  int16_t version;
  bool flexible;

  void i8(int8_t& v) { v = r.i8(); }
  void i16(int16_t& v) { v = r.i16(); }
  void i32(int32_t& v) { v = r.i32(); }
  void i64(int64_t& v) { v = r.i64(); }
  void u16(uint16_t& v) { v = r.u16(); }
  void u32(uint32_t& v) { v = r.u32(); }
  void f64(double& v) { v = r.f64(); }
  void boolean(bool& v) { v = r.boolean(); }
  void uuid_(uuid& v) { v = r.read_uuid(); }
  void string(std::string& v) { v = r.string(flexible); }
  void nullable_string(std::optional<std::string>& v) { v = r.nullable_string(flexible); }
  void bytes(std::vector<std::byte>& v) {
    auto b = r.bytes(flexible);
    v.assign(b.begin(), b.end());
  }
  void nullable_bytes(std::optional<std::vector<std::byte>>& v) {
    auto b = r.nullable_bytes(flexible);
    if (b)
      v.emplace(b->begin(), b->end());
    else
      v.reset();
  }
  void records(records_field& v) {
    auto b = r.nullable_bytes(flexible);
    v.null = !b;
    v.bytes = b ? *b : std::span<std::byte>{};
  }
  template <class T, class F>
  void array(std::vector<T>& v, F&& f) {
    const int32_t n = r.array_length(flexible);
    v.clear();
    if (n < 0) r.fail();  // null where the spec allows none
    if (n <= 0) return;
    v.resize(size_t(n));
    for (auto& e : v) {
      f(*this, e);
      if (!r.ok()) return;
    }
  }
  template <class T, class F>
  void nullable_array(std::optional<std::vector<T>>& v, F&& f) {
    const int32_t n = r.array_length(flexible);
    if (n < 0) {
      v.reset();
      return;
    }
    v.emplace(size_t(n));
    for (auto& e : *v) {
      f(*this, e);
      if (!r.ok()) return;
    }
  }
  // Arrays of plain int32 (partition ids and the like).
  void i32_array(std::vector<int32_t>& v) {
    array(v, [](decoder& a, int32_t& x) { a.i32(x); });
  }
  void string_array(std::vector<std::string>& v) {
    array(v, [](decoder& a, std::string& x) { a.string(x); });
  }
  void tags() {
    if (flexible) r.skip_tags();
  }
};

struct encoder {
  writer& w;
  int16_t version;
  bool flexible;

  void i8(const int8_t& v) { w.i8(v); }
  void i16(const int16_t& v) { w.i16(v); }
  void i32(const int32_t& v) { w.i32(v); }
  void i64(const int64_t& v) { w.i64(v); }
  void u16(const uint16_t& v) { w.u16(v); }
  void u32(const uint32_t& v) { w.u32(v); }
  void f64(const double& v) { w.f64(v); }
  void boolean(const bool& v) { w.boolean(v); }
  void uuid_(const uuid& v) { w.write_uuid(v); }
  void string(const std::string& v) { w.string(v, flexible); }
  void nullable_string(const std::optional<std::string>& v) { w.nullable_string(v, flexible); }
  void bytes(const std::vector<std::byte>& v) { w.bytes(v, flexible); }
  void nullable_bytes(const std::optional<std::vector<std::byte>>& v) {
    if (v)
      w.nullable_bytes(std::span<const std::byte>(*v), flexible);
    else
      w.nullable_bytes(std::nullopt, flexible);
  }
  void records(const records_field& v) { w.records(v, flexible); }
  template <class T, class F>
  void array(std::vector<T>& v, F&& f) {
    w.array_length(int32_t(v.size()), flexible);
    for (auto& e : v) f(*this, e);
  }
  template <class T, class F>
  void nullable_array(std::optional<std::vector<T>>& v, F&& f) {
    if (!v) {
      w.array_length(-1, flexible);
      return;
    }
    array(*v, f);
  }
  void i32_array(std::vector<int32_t>& v) {
    array(v, [](encoder& a, int32_t& x) { a.i32(x); });
  }
  void string_array(std::vector<std::string>& v) {
    array(v, [](encoder& a, std::string& x) { a.string(x); });
  }
  void tags() {
    if (flexible) w.empty_tags();
  }
};

}  // namespace runnel::kafka
