// top_n_op: ROW_NUMBER() OVER (PARTITION BY … ORDER BY …), with its rank
// filter (WHERE rn <= N) fused in as a limit, and ORDER BY … LIMIT … OFFSET
// of a maintained query — the first rows of each partition, maintained
// under inserts and deletes.
//
// State: every row of the input, keyed by partition, then the order keys,
// then the whole row (so ties are broken the same way every time). A batch
// touches some partitions; for each, the rows at ranks (skip, skip + limit]
// are read before and after the batch is applied, and the difference is
// emitted. RANK() and DENSE_RANK() give rows with equal order keys one
// rank, so a limit N keeps every row ranked N or better (ties included).
// That costs O(skip + limit) per touched partition and batch — or
// the whole partition when there is no limit (a bare ROW_NUMBER()).
// Without the rank in the output (a rank filter whose rank is not
// selected: Nexmark's q18, q19) only the rows whose output count changed
// are emitted, found by comparing the entries before and after by key.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class top_n_op : public op {
 public:
  // `limit` < 0: no limit; `with_rank`: append the row number (int8).
  top_n_op(exec_env& env, schema_types in_types, std::vector<int> partition,
           std::vector<sort_key> order, int64_t limit, int64_t skip, bool with_rank,
           rank_kind ranking = rank_kind::row_number);

  void push(int port, const row_batch& in) override;
  int64_t state_bytes() override { return table_->bytes(); }

 private:
  // Appends the ranked rows of one partition to `out` with weight `sign`.
  void emit_partition(const std::string& prefix, int64_t sign, row_batch& out);
  // Applies the changes `rows` of `in` to the partition `prefix`.
  void apply_changes(const row_batch& in, const std::string& prefix,
                     const std::vector<size_t>& rows, std::string& key);
  // An entry within the ranks: its state key, its row, how many of its
  // copies are output.
  struct ranked {
    std::string key;
    std::string row;
    int64_t copies;
  };
  void ranked_entries(const std::string& prefix, std::vector<ranked>& out);
  // Without a rank column: emits only what changed in each partition.
  void push_diff(const row_batch& in, const std::map<std::string, std::vector<size_t>>& touched);

  schema_types in_types_, out_types_;
  std::vector<int> partition_;
  std::vector<sort_key> order_;
  int64_t limit_, skip_;
  bool with_rank_;
  rank_kind ranking_;
  std::unique_ptr<state_table> table_;
};

// The order-by part of a key: per key, a byte that places NULLs first or
// last as asked, then the value (its bytes inverted for DESC).
void append_sort_key(const schema_types& types, const std::vector<sort_key>& order,
                     const datum* row, std::string& out);

}  // namespace runnel::sql
