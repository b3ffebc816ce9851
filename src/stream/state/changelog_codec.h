// Changelog keys of the window and session stores, which are also the keys of
// their primary RocksDB column family. Byte layouts and the reasons for them:
// docs/format/state-stores.md (change both together). The key-value store's
// changelog key is the user's key itself and needs no codec.
//
// A changelog key is self-contained: restoring it needs no other record, so
// replaying any compacted subset of the changelog in order rebuilds the same
// store. Decoders return nullopt for bytes that are not a valid key (records
// come from a topic anyone can write to), never crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::stream::state {

inline constexpr size_t key_length_size = 4;  // u32 big-endian length of the user key
inline constexpr size_t time_size = 8;        // ordered time (below)
inline constexpr size_t seq_size = 4;         // u32 big-endian

// Ordered time: the signed millisecond value as big-endian with the sign bit
// flipped, so that unsigned byte order is numeric order (negatives first).
void append_ordered_time(std::string& out, int64_t t);
std::string ordered_time(int64_t t);
int64_t load_ordered_time(const char* p);
void append_u32(std::string& out, uint32_t v);
uint32_t load_u32(const char* p);

// Window store: key-length | key | time | seq.
struct window_key {
  std::string_view key;
  int64_t time = 0;
  uint32_t seq = 0;
  friend bool operator==(const window_key&, const window_key&) = default;
};
std::string encode_window_key(const window_key& k);
std::optional<window_key> decode_window_key(std::string_view bytes);

// Session store: key-length | key | end | start. End comes first so that the
// sessions of one key are in order of end, which find() walks.
struct session_key {
  std::string_view key;
  int64_t start = 0;
  int64_t end = 0;
  friend bool operator==(const session_key&, const session_key&) = default;
};
std::string encode_session_key(const session_key& k);
std::optional<session_key> decode_session_key(std::string_view bytes);

// key-length | key: the prefix shared by every window or session key of one
// user key.
std::string user_key_prefix(std::string_view key);

}  // namespace runnel::stream::state
