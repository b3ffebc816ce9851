#include "sql/exec/basic_ops.h"

#include <unordered_map>

#include <spdlog/spdlog.h>

namespace runnel::sql {

void op::watermark(int, int, int64_t) {}

eval_context op::context(row_batch& out) {
  eval_context c;
  c.strings = &out.strings();
  c.now = env_.now;
  return c;
}

bool op::row_ok(eval_context& c) {
  if (!c.error) return true;
  if (!env_.streaming) {
    if (!env_.error) env_.error = *c.error;
    return false;
  }
  if (env_.row_errors++ < 10 || env_.row_errors % 10000 == 0)
    spdlog::warn("sql: view {}: a row's expression failed ({}); it goes on with NULL ({} so far)",
                 env_.name, c.error->message, env_.row_errors);
  c.error.reset();
  return true;
}

bool decode_row(const schema_types& t, std::string_view in, size_t& pos, datum* row, arena& a) {
  return codec::read_row(t, in, pos, row, a);
}

namespace {

bool points_to_string(type_id t) {
  return t == type_id::text || t == type_id::bytea || t == type_id::jsonb ||
         t == type_id::unknown || t == type_id::text_array;
}

// Adds `src` to `out` with weight w, its strings copied into out's arena.
void add_owned(row_batch& out, const datum* src, int64_t w, const schema_types& types) {
  datum* r = out.add(w);
  for (size_t c = 0; c < types.size(); ++c)
    r[c] = points_to_string(types[c].id) && !src[c].is_null()
               ? datum::of_text(out.strings().copy(src[c].as_text()))
               : src[c];
}

}  // namespace

void own_strings(row_batch& b, const schema_types& types) {
  row_batch out(b.width());
  out.reserve(b.size());
  for (size_t i = 0; i < b.size(); ++i) add_owned(out, b.row(i), b.weight(i), types);
  b = std::move(out);
}

void append_owned(row_batch& to, const row_batch& from, const schema_types& types) {
  for (size_t i = 0; i < from.size(); ++i)
    if (from.weight(i) > 0) add_owned(to, from.row(i), from.weight(i), types);
}

void consolidate(row_batch& b, const schema_types& types) {
  if (b.size() <= 1) {
    if (b.size() == 1 && b.weight(0) == 0) b.clear();
    return;
  }
  std::unordered_map<std::string, size_t> first;
  first.reserve(b.size());
  std::string key;
  std::vector<size_t> order;
  for (size_t i = 0; i < b.size(); ++i) {
    key.clear();
    append_row_key(types, b.row(i), key);
    auto [it, fresh] = first.emplace(key, i);
    if (fresh) {
      order.push_back(i);
    } else {
      b.set_weight(it->second, b.weight(it->second) + b.weight(i));
    }
  }
  row_batch out(b.width());
  out.keep_alive(b);
  // Deletions first: a consumer keyed by a primary key sees the old row go
  // before the new one comes.
  for (int pass = 0; pass < 2; ++pass)
    for (size_t i : order) {
      int64_t w = b.weight(i);
      if (w == 0 || (pass == 0) != (w < 0)) continue;
      out.add(b.row(i), w);
    }
  b = std::move(out);
}

void collector::push(int, const row_batch& in) {
  if (owning_) {
    for (size_t i = 0; i < in.size(); ++i) add_owned(rows_, in.row(i), in.weight(i), types_);
    return;
  }
  rows_.keep_alive(in);
  for (size_t i = 0; i < in.size(); ++i) rows_.add(in.row(i), in.weight(i));
}

void filter_op::push(int, const row_batch& in) {
  row_batch out(width_);
  out.keep_alive(in);
  auto c = context(out);
  for (size_t i = 0; i < in.size(); ++i) {
    if (env_.interrupted()) return;
    datum d = pred_->eval(in.row(i), c);
    if (!row_ok(c)) return;
    if (!d.is_null() && d.as_bool()) out.add(in.row(i), in.weight(i));
  }
  emit(out);
}

project_op::project_op(exec_env& env, std::vector<expr_ptr> exprs)
    : op(env), exprs_(std::move(exprs)) {
  for (size_t i = 0; i < exprs_.size(); ++i)
    if (exprs_[i]->kind == expr_kind::column) {
      size_t c = static_cast<size_t>(exprs_[i]->column);
      if (passthrough_.size() <= c) passthrough_.resize(c + 1, -1);
      if (passthrough_[c] < 0) passthrough_[c] = static_cast<int>(i);
    }
}

void project_op::push(int, const row_batch& in) {
  row_batch out(static_cast<uint32_t>(exprs_.size()));
  out.keep_alive(in);
  out.reserve(in.size());
  auto c = context(out);
  for (size_t i = 0; i < in.size(); ++i) {
    if (env_.interrupted()) return;
    datum* r = out.add(in.weight(i));
    const datum* src = in.row(i);
    for (size_t k = 0; k < exprs_.size(); ++k) {
      const expr& e = *exprs_[k];
      r[k] = e.kind == expr_kind::column ? src[e.column] : e.eval(src, c);
    }
    if (!row_ok(c)) return;
  }
  emit(out);
}

void project_op::watermark(int, int column, int64_t value) {
  if (static_cast<size_t>(column) < passthrough_.size() &&
      passthrough_[static_cast<size_t>(column)] >= 0)
    emit_watermark(passthrough_[static_cast<size_t>(column)], value);
}

void union_op::watermark(int port, int column, int64_t value) {
  auto& mine = marks_[static_cast<size_t>(port)];
  bool found = false;
  for (auto& [c, v] : mine)
    if (c == column) {
      v = std::max(v, value);
      found = true;
    }
  if (!found) mine.emplace_back(column, value);
  int64_t low = INT64_MAX;
  for (const auto& m : marks_) {
    bool has = false;
    for (const auto& [c, v] : m)
      if (c == column) {
        has = true;
        low = std::min(low, v);
      }
    if (!has) return;  // an input without a watermark on it holds it back
  }
  emit_watermark(column, low);
}

namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

void window_op::push(int, const row_batch& in) {
  row_batch out(in_width_ + 2);
  out.keep_alive(in);
  out.reserve(in.size() * static_cast<size_t>(size_ / slide_));
  for (size_t i = 0; i < in.size(); ++i) {
    const datum* src = in.row(i);
    const datum& t = src[time_];
    if (t.is_null()) continue;  // no time, no window
    int64_t ts = t.as_int();
    // Windows [start, start + size) with start = k * slide + offset containing ts.
    int64_t last = floor_div(ts - offset_, slide_) * slide_ + offset_;
    for (int64_t start = last; start > ts - size_; start -= slide_) {
      datum* r = out.add(in.weight(i));
      std::copy(src, src + in_width_, r);
      r[in_width_] = datum::of_int(start);
      r[in_width_ + 1] = datum::of_int(start + size_);
    }
  }
  emit(out);
}

void window_op::watermark(int, int column, int64_t value) {
  emit_watermark(column, value);
  if (column != time_) return;
  // Future rows have ts >= value: their first window starts at the first
  // window start above value - size.
  int64_t k = floor_div(value - size_ - offset_, slide_) + 1;
  int64_t start = k * slide_ + offset_;
  emit_watermark(static_cast<int>(in_width_), start);
  emit_watermark(static_cast<int>(in_width_ + 1), start + size_);
}

void values_op::on_create() {
  row_batch out(width_);
  auto c = context(out);
  for (const auto& r : rows_) {
    if (env_.interrupted()) return;
    datum* d = out.add(1);
    for (size_t k = 0; k < r.size(); ++k) d[k] = r[k]->eval(nullptr, c);
    if (!row_ok(c)) return;
  }
  emit(out);
}

}  // namespace runnel::sql
