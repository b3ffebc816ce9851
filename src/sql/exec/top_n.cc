#include "sql/exec/top_n.h"

#include <algorithm>
#include <map>

namespace runnel::sql {

void append_sort_key(const schema_types& types, const std::vector<sort_key>& order,
                     const datum* row, std::string& out) {
  for (const auto& k : order) {
    const datum& d = row[k.column];
    if (d.is_null()) {
      out += static_cast<char>(k.nulls_first ? 0x00 : 0x02);
      continue;
    }
    out += static_cast<char>(0x01);
    codec::append_key(types[static_cast<size_t>(k.column)], d, out, k.desc);
  }
}

top_n_op::top_n_op(exec_env& env, schema_types in_types, std::vector<int> partition,
                   std::vector<sort_key> order, int64_t limit, int64_t skip, bool with_rank,
                   rank_kind ranking)
    : op(env),
      in_types_(std::move(in_types)),
      partition_(std::move(partition)),
      order_(std::move(order)),
      limit_(limit),
      skip_(skip),
      with_rank_(with_rank),
      ranking_(ranking),
      table_(env.new_table()) {
  out_types_ = in_types_;
  if (with_rank_) out_types_.push_back(type_id::int64);
}

void top_n_op::emit_partition(const std::string& prefix, int64_t sign, row_batch& out) {
  const size_t width = in_types_.size();
  int64_t rank = 0;  // rows seen so far, counting duplicates
  const int64_t end = limit_ < 0 ? INT64_MAX : skip_ + limit_;
  if (ranking_ != rank_kind::row_number) {
    // Ties (equal order keys) share a rank: RANK() jumps past them,
    // DENSE_RANK() does not.
    int64_t seen = 0, current = 0;
    std::string last, sk;
    std::vector<datum> row(width);
    arena scratch;
    table_->scan_prefix(prefix, [&](std::string_view, std::string_view v) {
      size_t p = 0;
      int64_t count = 0;
      codec::read_svarint(v, p, count);
      size_t q = p;
      codec::read_row(in_types_, v, q, row.data(), scratch);
      sk.clear();
      append_sort_key(in_types_, order_, row.data(), sk);
      if (seen == 0 || sk != last) {
        current = ranking_ == rank_kind::rank ? seen + 1 : current + 1;
        last = sk;
      }
      if (current > end) return false;
      seen += count;
      for (int64_t i = 0; i < count; ++i) {
        datum* r = out.add(sign);
        size_t s = p;
        codec::read_row(in_types_, v, s, r, out.strings());
        if (with_rank_) r[width] = datum::of_int(current);
      }
      return true;
    });
    return;
  }
  table_->scan_prefix(prefix, [&](std::string_view, std::string_view v) {
    size_t p = 0;
    int64_t count = 0;
    codec::read_svarint(v, p, count);
    for (int64_t i = 0; i < count && rank < end; ++i) {
      ++rank;
      if (rank <= skip_) continue;
      datum* r = out.add(sign);
      size_t q = p;
      codec::read_row(in_types_, v, q, r, out.strings());
      if (with_rank_) r[width] = datum::of_int(rank);
    }
    return rank < end;
  });
}

void top_n_op::ranked_entries(const std::string& prefix, std::vector<ranked>& out) {
  out.clear();
  int64_t rank = 0;
  const int64_t end = limit_ < 0 ? INT64_MAX : skip_ + limit_;
  table_->scan_prefix(prefix, [&](std::string_view k, std::string_view v) {
    size_t p = 0;
    int64_t count = 0;
    codec::read_svarint(v, p, count);
    count = std::max<int64_t>(count, 0);  // a retraction ahead of its row outputs nothing
    // Copies [rank + 1, rank + count] of the partition; those in (skip, end] are output.
    const int64_t first = std::max(rank, skip_), last = std::min(rank + count, end);
    if (last > first) out.push_back({std::string(k), std::string(v.substr(p)), last - first});
    rank += count;
    return rank < end;
  });
}

void top_n_op::push_diff(const row_batch& in,
                         const std::map<std::string, std::vector<size_t>>& touched) {
  // ROW_NUMBER() without its rank in the output: a row is output as many
  // times as its copies fall within the ranks, whatever its rank number.
  // So each partition's entries in rank before and after the batch are
  // compared by key (both lists in key order), and only the difference is
  // emitted, deletions first, already consolidated: partitions and keys
  // are distinct.
  row_batch gone(static_cast<uint32_t>(out_types_.size()));
  row_batch came(static_cast<uint32_t>(out_types_.size()));
  std::vector<ranked> before, after;
  std::string key;
  auto emit_entry = [&](const ranked& e, int64_t w) {
    row_batch& to = w < 0 ? gone : came;
    datum* r = to.add(w);
    size_t q = 0;
    codec::read_row(in_types_, e.row, q, r, to.strings());
  };
  for (const auto& [prefix, rows] : touched) {
    if (env_.interrupted()) return;
    ranked_entries(prefix, before);
    apply_changes(in, prefix, rows, key);
    ranked_entries(prefix, after);
    size_t i = 0, j = 0;
    while (i < before.size() || j < after.size()) {
      if (j == after.size() || (i < before.size() && before[i].key < after[j].key)) {
        emit_entry(before[i], -before[i].copies);
        ++i;
      } else if (i == before.size() || after[j].key < before[i].key) {
        emit_entry(after[j], after[j].copies);
        ++j;
      } else {
        if (after[j].copies != before[i].copies)
          emit_entry(after[j], after[j].copies - before[i].copies);
        ++i;
        ++j;
      }
    }
  }
  gone.keep_alive(came);
  for (size_t i = 0; i < came.size(); ++i) gone.add(came.row(i), came.weight(i));
  emit(gone);
}

void top_n_op::apply_changes(const row_batch& in, const std::string& prefix,
                             const std::vector<size_t>& rows, std::string& key) {
  for (size_t i : rows) {
    const datum* row = in.row(i);
    key = prefix;
    append_sort_key(in_types_, order_, row, key);
    append_row_key(in_types_, row, key);
    int64_t count = 0;
    auto cur = table_->get(key);
    std::string value;
    if (cur) {
      size_t p = 0;
      codec::read_svarint(*cur, p, count);
      codec::append_svarint(count + in.weight(i), value);
      value.append(*cur, p, std::string::npos);  // the row as first stored (exact)
    } else {
      codec::append_svarint(in.weight(i), value);
      encode_row(in_types_, row, value);
    }
    if (count + in.weight(i) == 0)
      table_->del(key);
    else
      table_->put(key, value);
  }
}

void top_n_op::push(int, const row_batch& in) {
  // The partitions this batch touches, with their changes.
  std::map<std::string, std::vector<size_t>> touched;
  std::string key;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in.weight(i) == 0) continue;
    key.clear();
    append_cols_key(in_types_, in.row(i), partition_, key);
    touched[key].push_back(i);
  }
  if (!with_rank_ && ranking_ == rank_kind::row_number) return push_diff(in, touched);
  row_batch out(static_cast<uint32_t>(out_types_.size()));
  for (auto& [prefix, rows] : touched) {
    if (env_.interrupted()) return;
    emit_partition(prefix, -1, out);
    apply_changes(in, prefix, rows, key);
    emit_partition(prefix, 1, out);
  }
  consolidate(out, out_types_);
  emit(out);
}

}  // namespace runnel::sql
