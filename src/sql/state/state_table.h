// state_table: the ordered key-value state of one operator. Keys are
// memcomparable (types/codec.h), so scans in key order give minimum,
// maximum, Top-N and range queries.
//
// Two implementations: in memory (one-off queries), and a key range of the
// process's RocksDB state store (state_store.h), where writes go into the
// current epoch's write batch and reads see them at once.
//
// Thread-safety: a table belongs to the engine thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::sql {

using state_visitor = std::function<bool(std::string_view key, std::string_view value)>;

class state_table {
 public:
  virtual ~state_table() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void del(std::string_view key) = 0;
  // Keys in [from, to) ascending (an empty `to`: to the end); the visitor
  // returns false to stop. The visitor must not write to this table.
  virtual void scan(std::string_view from, std::string_view to, const state_visitor& fn) = 0;
  // Keys in [from, to) descending.
  virtual void scan_reverse(std::string_view from, std::string_view to,
                            const state_visitor& fn) = 0;
  // Deletes keys in [from, to).
  virtual void delete_range(std::string_view from, std::string_view to);
  // Every key starting with `prefix`.
  void scan_prefix(std::string_view prefix, const state_visitor& fn);
  void delete_prefix(std::string_view prefix);
  // Bytes of keys and values held (approximate for RocksDB).
  virtual int64_t bytes() = 0;
};

std::unique_ptr<state_table> make_memory_table();

// The smallest key greater than every key starting with `prefix` (empty if
// there is none: the prefix is all 0xff).
std::string prefix_end(std::string_view prefix);

}  // namespace runnel::sql
