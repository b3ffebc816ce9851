#include "stream/state/changelog_codec.h"

#include <cstring>

#include "model/endian.h"

namespace runnel::stream::state {

namespace {

constexpr uint64_t sign_bit = uint64_t{1} << 63;

template <class T>
void append_be(std::string& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  model::store_be(reinterpret_cast<std::byte*>(out.data() + at), v);
}

// Splits `bytes` into key-length | key | rest, checking that rest has exactly
// `tail` bytes.
std::optional<std::string_view> split_user_key(std::string_view bytes, size_t tail) {
  if (bytes.size() < key_length_size + tail) return std::nullopt;
  const uint32_t n = load_u32(bytes.data());
  if (bytes.size() - key_length_size - tail != n) return std::nullopt;
  return bytes.substr(key_length_size, n);
}

}  // namespace

void append_ordered_time(std::string& out, int64_t t) {
  append_be(out, static_cast<uint64_t>(t) ^ sign_bit);
}

std::string ordered_time(int64_t t) {
  std::string out;
  append_ordered_time(out, t);
  return out;
}

int64_t load_ordered_time(const char* p) {
  return static_cast<int64_t>(model::load_be<uint64_t>(reinterpret_cast<const std::byte*>(p)) ^
                              sign_bit);
}

void append_u32(std::string& out, uint32_t v) {
  append_be(out, v);
}

uint32_t load_u32(const char* p) {
  return model::load_be<uint32_t>(reinterpret_cast<const std::byte*>(p));
}

std::string user_key_prefix(std::string_view key) {
  std::string out;
  out.reserve(key_length_size + key.size());
  append_u32(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  return out;
}

std::string encode_window_key(const window_key& k) {
  std::string out = user_key_prefix(k.key);
  out.reserve(out.size() + time_size + seq_size);
  append_ordered_time(out, k.time);
  append_u32(out, k.seq);
  return out;
}

std::optional<window_key> decode_window_key(std::string_view bytes) {
  auto key = split_user_key(bytes, time_size + seq_size);
  if (!key) return std::nullopt;
  const char* p = key->data() + key->size();
  return window_key{*key, load_ordered_time(p), load_u32(p + time_size)};
}

std::string encode_session_key(const session_key& k) {
  std::string out = user_key_prefix(k.key);
  out.reserve(out.size() + 2 * time_size);
  append_ordered_time(out, k.end);
  append_ordered_time(out, k.start);
  return out;
}

std::optional<session_key> decode_session_key(std::string_view bytes) {
  auto key = split_user_key(bytes, 2 * time_size);
  if (!key) return std::nullopt;
  const char* p = key->data() + key->size();
  return session_key{*key, load_ordered_time(p + time_size), load_ordered_time(p)};
}

}  // namespace runnel::stream::state
