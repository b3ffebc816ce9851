#include "sql/exec/join.h"

#include <string>

namespace runnel::sql {

namespace {

// A stored row: its count, how many rows of the other side it matches (outer
// sides only, else 0), then the row itself (the exact values: keys drop a
// numeric's scale).
struct entry {
  int64_t count = 0;
  int64_t matches = 0;
  std::string_view row;
};

bool read_entry(std::string_view v, entry& e) {
  size_t p = 0;
  if (!codec::read_svarint(v, p, e.count) || !codec::read_svarint(v, p, e.matches)) return false;
  e.row = v.substr(p);
  return true;
}

std::string write_entry(int64_t count, int64_t matches, std::string_view row) {
  std::string s;
  codec::append_svarint(count, s);
  codec::append_svarint(matches, s);
  s.append(row);
  return s;
}

}  // namespace

join_op::join_op(exec_env& env, schema_types left, schema_types right,
                 std::vector<std::pair<int, int>> equi, expr_ptr residual, join_type type,
                 bool temporal)
    : op(env), residual_(std::move(residual)), temporal_(temporal) {
  sides_[0].types = std::move(left);
  sides_[1].types = std::move(right);
  for (auto [l, r] : equi) {
    sides_[0].keys.push_back(l);
    sides_[1].keys.push_back(r);
  }
  sides_[0].outer = type != join_type::inner;
  sides_[1].outer = type == join_type::full;
  for (auto& s : sides_) s.table = env.new_table();
  width_ = static_cast<uint32_t>(sides_[0].types.size() + sides_[1].types.size());
}

void join_op::emit_row(row_batch& out, const datum* left, const datum* right, int64_t weight) {
  datum* r = out.add(weight);
  size_t nl = sides_[0].types.size(), nr = sides_[1].types.size();
  if (left) std::copy(left, left + nl, r);
  if (right) std::copy(right, right + nr, r + nl);
}

void join_op::push(int port, const row_batch& in) {
  const int s = port == 0 ? 0 : 1, o = 1 - s;
  side& me = sides_[s];
  side& other = sides_[o];
  row_batch out(width_);
  out.keep_alive(in);
  auto c = context(out);
  // The other side's rows are decoded into this scratch row (strings into
  // the output's arena, which every emitted row may point into).
  std::vector<datum> theirs(other.types.size());
  std::vector<datum> joined(width_);
  std::string key, full;
  struct update {
    std::string key;
    std::string value;
  };
  std::vector<update> updates;
  for (size_t i = 0; i < in.size(); ++i) {
    const datum* row = in.row(i);
    const int64_t w = in.weight(i);
    if (w == 0) continue;
    bool null_key = false;
    key.clear();
    for (int k : me.keys) {
      if (row[k].is_null()) null_key = true;
      codec::append_key(me.types[static_cast<size_t>(k)], row[k], key);
    }
    // Temporal join: the right side is a lookup table that emits nothing.
    if (temporal_ && s == 1) {
      if (null_key) continue;
      full = key;
      append_row_key(me.types, row, full);
      entry e;
      auto cur = me.table->get(full);
      if (cur) read_entry(*cur, e);
      std::string exact;
      encode_row(me.types, row, exact);
      int64_t count = e.count + w;
      if (count == 0)
        me.table->del(full);
      else
        me.table->put(full, write_entry(count, 0, cur ? e.row : std::string_view(exact)));
      continue;
    }
    if (null_key) {
      if (me.outer) emit_row(out, s == 0 ? row : nullptr, s == 0 ? nullptr : row, w);
      continue;
    }
    int64_t matched = 0;
    updates.clear();
    bool failed = false;
    other.table->scan_prefix(key, [&](std::string_view k, std::string_view v) {
      entry e;
      if (!read_entry(v, e)) return true;
      size_t p = 0;
      codec::read_row(other.types, e.row, p, theirs.data(), out.strings());
      const datum* l = s == 0 ? row : theirs.data();
      const datum* r = s == 0 ? theirs.data() : row;
      if (residual_) {
        std::copy(l, l + sides_[0].types.size(), joined.begin());
        std::copy(r, r + sides_[1].types.size(),
                  joined.begin() + static_cast<std::ptrdiff_t>(sides_[0].types.size()));
        datum ok = residual_->eval(joined.data(), c);
        if (!row_ok(c)) {
          failed = true;
          return false;
        }
        if (ok.is_null() || !ok.as_bool()) return true;
      }
      emit_row(out, l, r, w * e.count);
      matched += e.count;
      if (other.outer && !temporal_) {
        int64_t before = e.matches, after = e.matches + w;
        if (before == 0 && after != 0)
          emit_row(out, s == 0 ? nullptr : theirs.data(), s == 0 ? theirs.data() : nullptr,
                   -e.count);
        if (before != 0 && after == 0)
          emit_row(out, s == 0 ? nullptr : theirs.data(), s == 0 ? theirs.data() : nullptr,
                   e.count);
        updates.push_back({std::string(k), write_entry(e.count, after, e.row)});
      }
      return true;
    });
    if (failed) return;
    for (auto& u : updates) other.table->put(u.key, u.value);
    if (me.outer && matched == 0) emit_row(out, s == 0 ? row : nullptr, s == 0 ? nullptr : row, w);
    if (temporal_) continue;  // left rows of a temporal join are looked up, never stored
    full = key;
    append_row_key(me.types, row, full);
    entry e;
    auto cur = me.table->get(full);
    if (cur) read_entry(*cur, e);
    int64_t count = e.count + w;
    if (count == 0) {
      me.table->del(full);
    } else if (cur) {
      me.table->put(full, write_entry(count, matched, e.row));
    } else {
      std::string exact;
      encode_row(me.types, row, exact);
      me.table->put(full, write_entry(count, matched, exact));
    }
  }
  emit(out);
}

void join_op::watermark(int port, int column, int64_t value) {
  // Only a temporal join's left side keeps its order: any other join can
  // pair a late row of one side with an early row of the other.
  if (temporal_ && port == 0) emit_watermark(column, value);
}

int64_t join_op::state_bytes() {
  return sides_[0].table->bytes() + sides_[1].table->bytes();
}

}  // namespace runnel::sql
