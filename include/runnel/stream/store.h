// The state-store interfaces that processors use: byte-level key-value,
// window and session stores. The library backs each with a RocksDB instance
// per (task, store) and a compacted changelog topic
// (docs/format/state-stores.md); typed stores in the DSL wrap these with serdes.
//
// Every change a processor makes through these calls is applied locally and
// also sent to the store's changelog, so a task that moves or restarts can
// rebuild the store. `expire` is the one exception: it drops old entries only
// locally, because the changelog topic's own time retention drops them there.
//
// The calls are infallible for the processor author: a store that hits a
// storage error remembers it and fails the task at its next commit, before
// input offsets are committed, so no change is silently lost (the task then
// restarts and restores the store).
//
// Thread-safety: a store belongs to one task, which calls it from one thread
// at a time. A visitor may call back into the same store (for example remove
// the entry it is visiting); a scan sees the store as it was when the scan
// began.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::stream {

// The three kinds of state store, for builder::add_store: key_value
// (kv_bytes_store), window (window_bytes_store), session
// (session_bytes_store).
enum class store_kind { key_value, window, session };

// Receives each change for the store's changelog topic: the record key and
// value, or nullopt for a tombstone (delete).
using change_logger =
    std::function<void(std::string_view key, std::optional<std::string_view> value)>;

// Visits one entry of a scan; returns false to stop the scan.
using kv_visitor = std::function<bool(std::string_view key, std::string_view value)>;

// key -> value, keys in byte order (unsigned lexicographic).
class kv_bytes_store {
 public:
  virtual ~kv_bytes_store() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void remove(std::string_view key) = 0;
  // Keys in [from, to) ascending; an empty `to` means to the end.
  virtual void range(std::string_view from, std::string_view to, const kv_visitor& fn) = 0;
};

// (key, time, seq) -> value. `time` is the window start for windowed
// aggregations or the record timestamp for join buffers; `seq` tells apart
// several entries with the same key and time (join buffers), 0 otherwise.
// Times are signed milliseconds and order correctly when negative.
class window_bytes_store {
 public:
  virtual ~window_bytes_store() = default;
  virtual std::optional<std::string> get(std::string_view key, int64_t time, uint32_t seq = 0) = 0;
  virtual void put(std::string_view key, int64_t time, std::string_view value,
                   uint32_t seq = 0) = 0;
  virtual void remove(std::string_view key, int64_t time, uint32_t seq = 0) = 0;
  // Entries of `key` with time in [from, to], ascending by (time, seq).
  virtual void fetch(
      std::string_view key, int64_t from, int64_t to,
      const std::function<bool(int64_t time, uint32_t seq, std::string_view value)>& fn) = 0;
  // All entries with time in [from, to], ascending by time, then by key
  // length, key bytes and seq (the time index's order): emit-final and expiry
  // scans.
  virtual void fetch_all(int64_t from, int64_t to,
                         const std::function<bool(std::string_view key, int64_t time, uint32_t seq,
                                                  std::string_view value)>& fn) = 0;
  // Drops every entry with time < before, locally only (not logged: the
  // changelog topic's time retention drops them there). Cheap when nothing is
  // old enough.
  virtual void expire(int64_t before) = 0;
};

// Sessions: (key, start, end) -> value, with start <= end.
class session_bytes_store {
 public:
  virtual ~session_bytes_store() = default;
  // Sessions of `key` with end >= earliest_end and start <= latest_start,
  // ascending by end (then start).
  virtual void find(
      std::string_view key, int64_t earliest_end, int64_t latest_start,
      const std::function<bool(int64_t start, int64_t end, std::string_view value)>& fn) = 0;
  virtual void put(std::string_view key, int64_t start, int64_t end, std::string_view value) = 0;
  virtual void remove(std::string_view key, int64_t start, int64_t end) = 0;
  // All sessions with end in [from, to], ascending by end, then by key
  // length, key bytes and start.
  virtual void fetch_ended(int64_t from, int64_t to,
                           const std::function<bool(std::string_view key, int64_t start,
                                                    int64_t end, std::string_view value)>& fn) = 0;
  // Drops every session with end < end_before, locally only, like
  // window_bytes_store::expire.
  virtual void expire(int64_t end_before) = 0;
};

}  // namespace runnel::stream
