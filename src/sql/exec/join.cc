#include "sql/exec/join.h"

#include <algorithm>
#include <climits>
#include <string>

namespace runnel::sql {

namespace {

// The most rows one output batch holds before it goes downstream: a cross
// join of two 20,000-row relations would otherwise build 400 million rows
// (tens of GB) before the first leaves, and an interrupt could not free
// them sooner. 65536 rows of a few columns are a few MB.
constexpr size_t output_piece_rows = 65536;

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
                 bool temporal, std::vector<int> left_watermarks, std::vector<int> right_watermarks,
                 std::vector<int> unread)
    : op(env), residual_(std::move(residual)), temporal_(temporal) {
  sides_[0].types = std::move(left);
  sides_[1].types = std::move(right);
  const int nl = static_cast<int>(sides_[0].types.size());
  for (int c : unread) {
    if (c < nl)
      sides_[0].unread.push_back(c);
    else
      sides_[1].unread.push_back(c - nl);
  }
  for (auto [l, r] : equi) {
    sides_[0].keys.push_back(l);
    sides_[1].keys.push_back(r);
  }
  sides_[0].outer = type != join_type::inner;
  sides_[1].outer = type == join_type::full;
  for (auto& s : sides_) s.table = env.new_table();
  width_ = static_cast<uint32_t>(sides_[0].types.size() + sides_[1].types.size());
  const std::vector<int> wms[2] = {std::move(left_watermarks), std::move(right_watermarks)};
  if (!temporal_) find_bounds(equi, wms);
}

void join_op::find_bounds(const std::vector<std::pair<int, int>>& equi,
                          const std::vector<int>* wms) {
  const auto found =
      find_join_time_bounds(sides_[0].types, sides_[1].types, equi, residual_, wms[0], wms[1]);
  for (const auto& f : found) {
    bound b;
    static_cast<join_time_bound&>(b) = f;
    b.index = env_.new_table();
    bounds_.push_back(std::move(b));
  }
  // The output columns that carry a watermark (time_bounds.h).
  const int nl = static_cast<int>(sides_[0].types.size());
  for (int joined : join_output_watermarks(found, nl, wms[0], wms[1])) {
    out_watermark w;
    w.side = joined < nl ? 0 : 1;
    w.column = w.side == 0 ? joined : joined - nl;
    w.joined = joined;
    for (size_t i = 0; i < bounds_.size(); ++i)
      if (bounds_[i].clean == w.side && bounds_[i].rhs_column == w.column) w.bounds.push_back(i);
    out_wms_.push_back(std::move(w));
  }
}

bool join_op::alive(int s, const datum* row, eval_context& c) {
  for (auto& b : bounds_) {
    if (b.clean != s) continue;
    datum v = b.rhs->eval(row, c);
    c.error.reset();
    if (v.is_null()) return false;  // the condition can never hold
    if (b.has_wm && v.as_int() < b.limit) return false;
  }
  return true;
}

void join_op::index_row(int s, const datum* row, const std::string& full, bool add,
                        eval_context& c) {
  std::string k;
  for (auto& b : bounds_) {
    if (b.clean != s) continue;
    datum v = b.rhs->eval(row, c);
    c.error.reset();
    if (v.is_null()) continue;
    k.clear();
    codec::append_key(b.rhs->type, v, k);
    k += full;
    if (add)
      b.index->put(k, {});
    else
      b.index->del(k);
  }
}

void join_op::expire(bound& b) {
  // Index keys below key(lhs(W)) (or up to it, when strict) are dead rows.
  std::vector<std::string> dead;
  b.index->scan({}, b.threshold, [&](std::string_view k, std::string_view) {
    dead.emplace_back(k);
    return true;
  });
  if (dead.empty()) return;
  side& me = sides_[b.clean];
  size_t on_side = 0;
  for (const auto& o : bounds_) on_side += o.clean == b.clean ? 1 : 0;
  row_batch scratch(static_cast<uint32_t>(me.types.size()));
  eval_context c;
  c.strings = &scratch.strings();
  for (const auto& k : dead) {
    size_t p = 0;
    datum ignored;
    arena ar;
    if (!codec::read_key(b.rhs->type, k, p, ignored, ar)) {
      b.index->del(k);
      continue;
    }
    std::string full = k.substr(p);
    if (on_side > 1) {
      // The row's entries in the other bounds' indexes go too.
      auto v = me.table->get(full);
      entry e;
      if (v && read_entry(*v, e)) {
        scratch.clear();
        datum* row = scratch.add(1);
        size_t q = 0;
        if (codec::read_row(me.types, e.row, q, row, scratch.strings()))
          index_row(b.clean, row, full, false, c);
      }
    }
    b.index->del(k);
    me.table->del(full);
  }
}

void join_op::emit_row(row_batch& out, const datum* left, const datum* right, int64_t weight) {
  datum* r = out.add(weight);
  size_t nl = sides_[0].types.size(), nr = sides_[1].types.size();
  if (left) std::copy(left, left + nl, r);
  if (right) std::copy(right, right + nr, r + nl);
}

void join_op::push(int port, const row_batch& changes) {
  const int s = port == 0 ? 0 : 1, o = 1 - s;
  side& me = sides_[s];
  side& other = sides_[o];
  row_batch pruned(changes.width());
  if (!me.unread.empty()) {
    pruned.keep_alive(changes);
    pruned.reserve(changes.size());
    for (size_t i = 0; i < changes.size(); ++i) {
      pruned.add(changes.row(i), changes.weight(i));
      datum* r = pruned.row(i);
      for (int c : me.unread) r[c] = datum::null_value();
    }
  }
  const row_batch& in = me.unread.empty() ? changes : pruned;
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
    if (env_.interrupted()) return;
    const datum* row = in.row(i);
    const int64_t w = in.weight(i);
    if (w == 0) continue;
    if (!bounds_.empty() && late(s, row)) {
      ++env_.late_rows;
      continue;
    }
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
      if (env_.interrupted()) {
        failed = true;
        return false;
      }
      // A row matching many (a cross join, a skewed key) sends its output
      // on in pieces: the batch stays bounded, whatever the product.
      if (out.size() >= output_piece_rows) {
        emit(out);
        out = row_batch(width_);
        out.keep_alive(in);
        c.strings = &out.strings();
      }
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
    // A row that no future row of the other side can match is not kept.
    if (!bounds_.empty() && !alive(s, row, c)) continue;
    full = key;
    append_row_key(me.types, row, full);
    entry e;
    auto cur = me.table->get(full);
    if (cur) read_entry(*cur, e);
    int64_t count = e.count + w;
    if (count == 0) {
      me.table->del(full);
      if (!bounds_.empty()) index_row(s, row, full, false, c);
    } else if (cur) {
      me.table->put(full, write_entry(count, matched, e.row));
    } else {
      std::string exact;
      encode_row(me.types, row, exact);
      me.table->put(full, write_entry(count, matched, exact));
      if (!bounds_.empty()) index_row(s, row, full, true, c);
    }
  }
  emit(out);
}

bool join_op::late(int s, const datum* row) const {
  for (const auto& b : bounds_) {
    if (b.clean == s || !b.has_wm) continue;
    const datum& t = row[b.wm_column];
    if (!t.is_null() && t.as_int() < b.wm) return true;
  }
  return false;
}

void join_op::watermark(int port, int column, int64_t value) {
  // Only a temporal join's left side keeps its order: any other join can
  // pair a late row of one side with an early row of the other.
  if (temporal_ && port == 0) emit_watermark(column, value);
  const int ws = port == 0 ? 0 : 1;
  for (auto& b : bounds_) {
    if (b.clean == ws || b.wm_column != column || (b.has_wm && value <= b.wm)) continue;
    std::vector<datum> at(sides_[ws].types.size());
    at[static_cast<size_t>(column)] = datum::of_int(value);
    arena ar;
    eval_context c;
    c.strings = &ar;
    datum t = b.lhs->eval(at.data(), c);
    if (c.error || t.is_null()) continue;
    b.has_wm = true;
    b.wm = value;
    b.threshold.clear();
    // Dead: rhs < t, or rhs <= t when strict (timestamps are integers).
    int64_t limit = t.as_int();
    if (b.strict && limit < INT64_MAX) ++limit;
    b.limit = limit;
    codec::append_key(b.rhs->type, datum::of_int(limit), b.threshold);
    expire(b);
  }
  pass_watermarks(ws, column, value);
}

void join_op::pass_watermarks(int side, int column, int64_t value) {
  for (auto& w : out_wms_) {
    if (w.side == side && w.column == column && (!w.has_side || value > w.side_wm)) {
      w.has_side = true;
      w.side_wm = value;
    }
    if (!w.has_side) continue;
    // Stored rows of the side have the column >= limit - offset for every
    // bound that expires them; a new row of the side has it >= the side's
    // own watermark.
    bool any = false;
    int64_t stored = INT64_MIN;
    for (size_t i : w.bounds) {
      const bound& b = bounds_[i];
      if (!b.has_wm) continue;
      int64_t lo = 0;
      if (__builtin_sub_overflow(b.limit, b.rhs_offset, &lo))
        lo = b.rhs_offset > 0 ? INT64_MIN : INT64_MAX;
      stored = any ? std::max(stored, lo) : lo;
      any = true;
    }
    if (!any) continue;
    int64_t v = std::min(w.side_wm, stored);
    if (w.has_emitted && v <= w.emitted) continue;
    w.has_emitted = true;
    w.emitted = v;
    emit_watermark(w.joined, v);
  }
}

int64_t join_op::state_bytes() {
  int64_t n = sides_[0].table->bytes() + sides_[1].table->bytes();
  for (auto& b : bounds_) n += b.index->bytes();
  return n;
}

}  // namespace runnel::sql
