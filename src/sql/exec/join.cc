#include "sql/exec/join.h"

#include <algorithm>
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

namespace {

void flatten_and(const expr_ptr& e, std::vector<expr_ptr>& out) {
  if (e->kind == expr_kind::and_) {
    for (const auto& a : e->args) flatten_and(a, out);
    return;
  }
  out.push_back(e);
}

bool is_time(const sql_type& t) {
  return t.id == type_id::timestamp || t.id == type_id::timestamptz;
}

}  // namespace

void join_op::find_bounds(const std::vector<std::pair<int, int>>& equi,
                          const std::vector<int>* wms) {
  const int nl = static_cast<int>(sides_[0].types.size());
  const int nr = static_cast<int>(sides_[1].types.size());
  auto side_of = [&](const expr& e) {
    std::vector<int> cols;
    collect_columns(e, cols);
    if (cols.empty() || uses_now(e)) return -1;
    int s = cols[0] < nl ? 0 : 1;
    for (int c : cols)
      if ((c < nl ? 0 : 1) != s) return -1;
    return s;
  };
  auto watermarked = [&](int s, int col) {
    return std::find(wms[s].begin(), wms[s].end(), col) != wms[s].end();
  };
  // Joined-row columns -> one side's own columns.
  auto local = [&](const expr_ptr& e, int s) {
    std::vector<int> map(static_cast<size_t>(nl + nr), 0);
    for (int i = 0; i < nl + nr; ++i) map[static_cast<size_t>(i)] = s == 0 ? i : i - nl;
    return remap_columns(e, map);
  };
  auto add = [&](const expr_ptr& lhs, const expr_ptr& rhs, bool strict) {
    if (!is_time(lhs->type) || lhs->type.id != rhs->type.id) return;
    // lhs: a column of one side, or that column plus or minus a constant.
    const expr* col = nullptr;
    if (lhs->kind == expr_kind::column) {
      col = lhs.get();
    } else if (lhs->kind == expr_kind::call && lhs->args.size() == 2 &&
               (lhs->name == "+" || lhs->name == "-")) {
      const auto& a = lhs->args[0];
      const auto& b = lhs->args[1];
      if (a->kind == expr_kind::column && is_constant_expr(*b))
        col = a.get();
      else if (lhs->name == "+" && b->kind == expr_kind::column && is_constant_expr(*a))
        col = b.get();
    }
    if (!col || !is_time(col->type)) return;
    int ws = col->column < nl ? 0 : 1;
    int rs = side_of(*rhs);
    if (rs != 1 - ws) return;
    int wcol = ws == 0 ? col->column : col->column - nl;
    if (!watermarked(ws, wcol)) return;
    bound b;
    b.clean = rs;
    b.wm_column = wcol;
    b.lhs = local(lhs, ws);
    b.rhs = local(rhs, rs);
    b.strict = strict;
    b.index = env_.new_table();
    bounds_.push_back(std::move(b));
  };
  if (residual_) {
    std::vector<expr_ptr> parts;
    flatten_and(residual_, parts);
    for (const auto& p : parts) {
      if (p->kind != expr_kind::call || p->args.size() != 2) continue;
      const auto& a = p->args[0];
      const auto& b = p->args[1];
      if (p->name == "<=" || p->name == "<") add(a, b, p->name == "<");
      if (p->name == ">=" || p->name == ">") add(b, a, p->name == ">");
      if (p->name == "=") {
        add(a, b, false);
        add(b, a, false);
      }
    }
  }
  // Equal keys: each side's column bounds the other's.
  for (auto [l, r] : equi) {
    const sql_type& lt = sides_[0].types[static_cast<size_t>(l)];
    const sql_type& rt = sides_[1].types[static_cast<size_t>(r)];
    auto lc = make_column(l, lt);
    auto rc = make_column(nl + r, rt);
    add(lc, rc, false);
    add(rc, lc, false);
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
}

int64_t join_op::state_bytes() {
  int64_t n = sides_[0].table->bytes() + sides_[1].table->bytes();
  for (auto& b : bounds_) n += b.index->bytes();
  return n;
}

}  // namespace runnel::sql
