// aggregate_op: GROUP BY with count, sum, avg, min, max, bool_and/or,
// string_agg (its values kept ordered with their counts, like min/max) and
// their DISTINCT forms, maintained under inserts and deletes.
//
// State, per group: the row count and each aggregate's accumulator (sums
// and counts that deletes subtract from). min and max over an input that
// can delete keep every value with its count, ordered, so the new minimum
// after a delete is the next key; DISTINCT aggregates keep each value's
// count too, and change when a value's count goes 0 <-> 1.
//
// A batch is applied group by group: each touched group emits the deletion
// of its old row and the insertion of its new one (nothing if unchanged).
// With a watermark on a group key, groups below it are closed: their state
// is dropped, and with EMIT ON WINDOW CLOSE their one final row is emitted
// then (and nothing before).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sql/exec/operator.h"
#include "sql/exec/rows.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

class aggregate_op : public op {
 public:
  // `in_types`: the input row; `keys`: its group key columns; `append_only`:
  // the input never deletes (min/max keep one value); `watermark_key`: the
  // index into `keys` of a key whose column gets watermarks, or -1.
  aggregate_op(exec_env& env, schema_types in_types, std::vector<int> keys,
               std::vector<agg_call> aggs, bool append_only, bool emit_on_close, int watermark_key);

  void push(int port, const row_batch& in) override;
  void watermark(int port, int column, int64_t value) override;
  void on_create() override;
  int64_t state_bytes() override { return table_->bytes(); }

  struct acc;
  struct group;

 private:
  void load(const std::string& key, group& g);
  void save(const std::string& key, const group& g);
  // The output row of a group (keys from `key_row`), false if it has none.
  bool output(const std::string& key, const group& g, const datum* keys, row_batch& out, arena& a);
  void apply(const std::string& key, group& g, const datum* row, int64_t w);
  void multiset_add(const std::string& key, size_t agg, const datum& v, int64_t w, int64_t& before,
                    int64_t& after);
  void close_below(int64_t value);

  schema_types in_types_;
  std::vector<int> keys_;
  std::vector<int> key_order_;  // the encoding order of keys (the watermarked one first)
  std::vector<agg_call> aggs_;
  std::vector<int> kinds_;
  bool append_only_;
  bool eowc_;
  int wm_key_;
  int64_t closed_below_ = INT64_MIN;
  schema_types out_types_;
  std::unique_ptr<state_table> table_;
};

}  // namespace runnel::sql
