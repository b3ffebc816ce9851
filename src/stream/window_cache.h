// window_cache: a write-back cache in front of a task's window store — what
// Kafka Streams' record cache does for its stores. A windowed aggregation
// reads and rewrites the same (key, window) once per record; with the cache
// those updates stay in memory and only the last value of each entry per
// commit interval reaches RocksDB and the changelog topic. For a one-minute
// count over a thousand keys that turns ~60 RocksDB writes and changelog
// records per entry into one, which is most of the cost of a windowed count
// (docs/benchmarks.md, "Stream processing").
//
// At-least-once is kept because the task flushes the cache (store writes and
// changelog sends) before the app's commit flushes the producer and commits
// input offsets (app.cc, commit()). Scans and expiry flush first, so they see
// every write; a cache past its byte budget flushes and starts over.
// Downstream emits are not affected: emit-on-update still forwards every
// update (only the store's copy is deduplicated).
//
// Owned by the task next to the store it wraps; not thread-safe (one stream
// thread, like the store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runnel/stream/store.h"

namespace runnel::stream::runtime {

class window_cache final : public window_bytes_store {
 public:
  // `max_bytes`: keys and values held, roughly, before a flush-and-clear.
  window_cache(window_bytes_store& store, size_t max_bytes);

  std::optional<std::string> get(std::string_view key, int64_t time, uint32_t seq = 0) override;
  void put(std::string_view key, int64_t time, std::string_view value, uint32_t seq = 0) override;
  void remove(std::string_view key, int64_t time, uint32_t seq = 0) override;
  void fetch(
      std::string_view key, int64_t from, int64_t to,
      const std::function<bool(int64_t time, uint32_t seq, std::string_view value)>& fn) override;
  void fetch_all(int64_t from, int64_t to,
                 const std::function<bool(std::string_view key, int64_t time, uint32_t seq,
                                          std::string_view value)>& fn) override;
  void expire(int64_t before) override;

  // Writes every dirty entry to the store (which logs it), oldest change
  // first. Entries stay cached, clean.
  void flush();
  size_t dirty_entries() const { return dirty_.size(); }

 private:
  struct entry {
    std::optional<std::string> value;  // nullopt: removed
    int64_t time = 0;
    bool dirty = false;
  };

  // The cache key: user key bytes, then time and seq in native byte order
  // (only equality matters here).
  const std::string& cache_key(std::string_view key, int64_t time, uint32_t seq);
  void write(std::string_view key, int64_t time, uint32_t seq,
             std::optional<std::string_view> value);
  void clear_if_full();

  window_bytes_store& store_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::unordered_map<std::string, entry> entries_;
  std::vector<std::string> dirty_;  // cache keys, in the order they became dirty
  std::string scratch_;
};

}  // namespace runnel::stream::runtime
