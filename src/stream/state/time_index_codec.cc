#include "stream/state/time_index_codec.h"

namespace runnel::stream::state {

namespace {

// Splits time | key-length | key | tail, checking the sizes.
struct index_parts {
  int64_t time;
  std::string_view key;
  const char* tail;
};

std::optional<index_parts> split_index_key(std::string_view bytes, size_t tail) {
  if (bytes.size() < time_size + key_length_size + tail) return std::nullopt;
  const uint32_t n = load_u32(bytes.data() + time_size);
  if (bytes.size() - time_size - key_length_size - tail != n) return std::nullopt;
  const size_t key_at = time_size + key_length_size;
  return index_parts{load_ordered_time(bytes.data()), bytes.substr(key_at, n),
                     bytes.data() + key_at + n};
}

std::string index_head(int64_t time, std::string_view key, size_t tail) {
  std::string out;
  out.reserve(time_size + key_length_size + key.size() + tail);
  append_ordered_time(out, time);
  append_u32(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  return out;
}

}  // namespace

std::string encode_window_index_key(const window_key& k) {
  std::string out = index_head(k.time, k.key, seq_size);
  append_u32(out, k.seq);
  return out;
}

std::optional<window_key> decode_window_index_key(std::string_view bytes) {
  auto parts = split_index_key(bytes, seq_size);
  if (!parts) return std::nullopt;
  return window_key{parts->key, parts->time, load_u32(parts->tail)};
}

std::string encode_session_index_key(const session_key& k) {
  std::string out = index_head(k.end, k.key, time_size);
  append_ordered_time(out, k.start);
  return out;
}

std::optional<session_key> decode_session_index_key(std::string_view bytes) {
  auto parts = split_index_key(bytes, time_size);
  if (!parts) return std::nullopt;
  return session_key{parts->key, load_ordered_time(parts->tail), parts->time};
}

}  // namespace runnel::stream::state
