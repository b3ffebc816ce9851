// contents_index: applies a batch of changes to a relation's contents (a
// row_batch of positive counts) in time proportional to the batch, not to
// the contents.
//
// Inserts-only batches are appended (identical rows may then sit in
// separate entries, which every reader takes as the same multiset). The
// first batch that deletes consolidates the contents once and indexes
// every row by its memcomparable key; from then on each change finds its
// entry through the index: a weight that reaches zero removes the entry by
// moving the last one into its place. Consolidating the whole relation on
// every batch that deletes made a Top-N view of n rows cost O(n) per batch.
//
// Deleted rows leave their strings in the contents' arena; once as many
// rows have been removed as are left, the strings are copied afresh
// (own_strings keeps the order, so the index stays valid): amortized O(1)
// per change, memory bounded by twice the live strings.
//
// Thread-safety: belongs to its relation, used by the engine's thread.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sql/exec/rows.h"

namespace runnel::sql {

class contents_index {
 public:
  // Applies `changes` to `contents` (whose strings it owns).
  void apply(row_batch& contents, const row_batch& changes, const schema_types& types);
  // Forgets the index: call when the contents are replaced.
  void reset();

 private:
  using map = std::unordered_map<std::string, size_t>;
  void build(row_batch& contents, const schema_types& types);
  void remove(row_batch& contents, map::iterator it);

  bool built_ = false;
  map index_;                                 // row key -> entry
  std::vector<map::value_type*> entry_node_;  // entry -> its index node
  size_t removed_ = 0;                        // entries removed since the strings were copied
};

}  // namespace runnel::sql
