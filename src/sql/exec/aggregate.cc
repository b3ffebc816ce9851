#include "sql/exec/aggregate.h"

#include <algorithm>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "sql/plan/expr.h"

namespace runnel::sql {

namespace {

// Accumulator kinds.
enum kind : int {
  k_count_star,
  k_count,
  k_sum_int,
  k_sum_dec,
  k_sum_float,
  k_sum_interval,
  k_minmax_cached,    // append-only input: the current extreme only
  k_minmax_multiset,  // every value with its count
  k_bool,
  k_string_agg,  // every value with its count, joined in key order
};

constexpr char group_tag = 'g';
constexpr char multi_tag = 'm';

}  // namespace

struct aggregate_op::acc {
  int64_t n = 0;  // non-null inputs (weighted), or distinct values
  int64_t i = 0;  // integer sum, or true count
  int64_t j = 0;  // false count
  decimal d;
  double f = 0;
  interval iv;
  std::string v;      // min/max cached: the value's key bytes (to compare)
  std::string exact;  // min/max cached: the value itself (keys lose a numeric's scale)
};

struct aggregate_op::group {
  bool loaded = false;
  bool existed = false;  // had state (or is the global group) before this batch
  int64_t rows = 0;
  std::vector<acc> accs;
  size_t first_row = 0;  // a row of the batch with this key (for the key values)
  row_batch old_out{0};
  bool has_old = false;
};

aggregate_op::aggregate_op(exec_env& env, schema_types in_types, std::vector<int> keys,
                           std::vector<agg_call> aggs, bool append_only, bool emit_on_close,
                           int watermark_key)
    : op(env),
      in_types_(std::move(in_types)),
      keys_(std::move(keys)),
      aggs_(std::move(aggs)),
      append_only_(append_only),
      eowc_(emit_on_close),
      wm_key_(watermark_key),
      table_(env.new_table()) {
  if (wm_key_ >= 0) key_order_.push_back(wm_key_);
  for (int k = 0; k < static_cast<int>(keys_.size()); ++k)
    if (k != wm_key_) key_order_.push_back(k);
  for (int k : keys_) out_types_.push_back(in_types_[static_cast<size_t>(k)]);
  for (const auto& a : aggs_) {
    out_types_.push_back(a.type);
    int kd;
    if (a.func == "count")
      kd = a.arg < 0 ? k_count_star : k_count;
    else if (a.func == "min" || a.func == "max")
      kd = (append_only_ && !a.distinct) ? k_minmax_cached : k_minmax_multiset;
    else if (a.func == "bool_and" || a.func == "bool_or")
      kd = k_bool;
    else if (a.func == "string_agg")
      kd = k_string_agg;
    else if (a.arg_type.id == type_id::interval)
      kd = k_sum_interval;
    else if (is_float(a.arg_type.id))
      kd = k_sum_float;
    else if (a.func == "sum" &&
             (a.arg_type.id == type_id::int16 || a.arg_type.id == type_id::int32))
      kd = k_sum_int;
    else
      kd = k_sum_dec;
    kinds_.push_back(kd);
  }
}

void aggregate_op::load(const std::string& key, group& g) {
  g.loaded = true;
  g.accs.assign(aggs_.size(), acc{});
  auto v = table_->get(key);
  if (!v) {
    g.existed = keys_.empty();  // the global group always exists
    return;
  }
  g.existed = true;
  std::string_view s = *v;
  size_t p = 0;
  codec::read_svarint(s, p, g.rows);
  for (size_t k = 0; k < aggs_.size(); ++k) {
    acc& a = g.accs[k];
    switch (kinds_[k]) {
      case k_count_star:
        break;
      case k_count:
      case k_minmax_multiset:
      case k_string_agg:
        codec::read_svarint(s, p, a.n);
        break;
      case k_sum_int:
        codec::read_svarint(s, p, a.n);
        codec::read_svarint(s, p, a.i);
        break;
      case k_bool:
        codec::read_svarint(s, p, a.i);
        codec::read_svarint(s, p, a.j);
        break;
      case k_sum_dec: {
        codec::read_svarint(s, p, a.n);
        arena ar;
        datum d;
        codec::read_value(type_id::numeric, s, p, d, ar);
        a.d = d.as_decimal();
        break;
      }
      case k_sum_float: {
        codec::read_svarint(s, p, a.n);
        arena ar;
        datum d;
        codec::read_value(type_id::float64, s, p, d, ar);
        a.f = d.as_double();
        break;
      }
      case k_sum_interval: {
        codec::read_svarint(s, p, a.n);
        arena ar;
        datum d;
        codec::read_value(type_id::interval, s, p, d, ar);
        a.iv = d.as_interval();
        break;
      }
      case k_minmax_cached: {
        codec::read_svarint(s, p, a.n);
        uint64_t len = 0;
        codec::read_varint(s, p, len);
        a.v.assign(s.substr(p, len));
        p += len;
        codec::read_varint(s, p, len);
        a.exact.assign(s.substr(p, len));
        p += len;
        break;
      }
    }
  }
}

void aggregate_op::save(const std::string& key, const group& g) {
  if (g.rows == 0 && !keys_.empty()) {
    table_->del(key);
    return;
  }
  std::string s;
  codec::append_svarint(g.rows, s);
  for (size_t k = 0; k < aggs_.size(); ++k) {
    const acc& a = g.accs[k];
    switch (kinds_[k]) {
      case k_count_star:
        break;
      case k_count:
      case k_minmax_multiset:
      case k_string_agg:
        codec::append_svarint(a.n, s);
        break;
      case k_sum_int:
        codec::append_svarint(a.n, s);
        codec::append_svarint(a.i, s);
        break;
      case k_bool:
        codec::append_svarint(a.i, s);
        codec::append_svarint(a.j, s);
        break;
      case k_sum_dec:
        codec::append_svarint(a.n, s);
        codec::append_value(type_id::numeric, datum::of_decimal(a.d), s);
        break;
      case k_sum_float:
        codec::append_svarint(a.n, s);
        codec::append_value(type_id::float64, datum::of_double(a.f), s);
        break;
      case k_sum_interval:
        codec::append_svarint(a.n, s);
        codec::append_value(type_id::interval, datum::of_interval(a.iv), s);
        break;
      case k_minmax_cached:
        codec::append_svarint(a.n, s);
        codec::append_varint(a.v.size(), s);
        s += a.v;
        codec::append_varint(a.exact.size(), s);
        s += a.exact;
        break;
    }
  }
  table_->put(key, s);
}

void aggregate_op::multiset_add(const std::string& key, size_t agg, const datum& v, int64_t w,
                                int64_t& before, int64_t& after) {
  std::string mk;
  mk += multi_tag;
  mk.append(key, 1, std::string::npos);
  mk += static_cast<char>(agg);
  codec::append_key(aggs_[agg].arg_type, v, mk);
  auto cur = table_->get(mk);
  before = 0;
  if (cur) {
    size_t p = 0;
    codec::read_svarint(*cur, p, before);
  }
  after = before + w;
  if (after == 0) {
    table_->del(mk);
  } else {
    // The count, then the value as first seen: 1.5 and 1.50 share a key, and
    // min/max return the value (with its scale) as PostgreSQL does.
    std::string s;
    codec::append_svarint(after, s);
    if (cur) {
      size_t p = 0;
      int64_t ignored = 0;
      codec::read_svarint(*cur, p, ignored);
      s.append(*cur, p, std::string::npos);
    } else {
      codec::append_value(aggs_[agg].arg_type, v, s);
    }
    table_->put(mk, s);
  }
}

void aggregate_op::apply(const std::string& key, group& g, const datum* row, int64_t w) {
  g.rows += w;
  for (size_t k = 0; k < aggs_.size(); ++k) {
    const agg_call& c = aggs_[k];
    if (c.arg < 0) continue;
    const datum& v = row[c.arg];
    if (v.is_null()) continue;
    acc& a = g.accs[k];
    int64_t wv = w;
    if (c.distinct && kinds_[k] != k_minmax_multiset) {
      int64_t before, after;
      multiset_add(key, k, v, w, before, after);
      if (before <= 0 && after > 0)
        wv = 1;
      else if (before > 0 && after <= 0)
        wv = -1;
      else
        continue;
    }
    switch (kinds_[k]) {
      case k_count:
        a.n += wv;
        break;
      case k_sum_int:
        a.n += wv;
        a.i += v.as_int() * wv;
        break;
      case k_sum_dec: {
        decimal x = is_integer(c.arg_type.id) ? dec::from_int(v.as_int()) : v.as_decimal();
        auto prod = dec::mul(x, dec::from_int(wv));
        auto sum = prod ? dec::add(a.d, *prod) : std::nullopt;
        if (!sum) {
          eval_context ec;
          ec.error = make_error(errc::numeric_out_of_range, c.location,
                                "numeric field overflow in {}", c.func);
          row_ok(ec);
          break;
        }
        a.n += wv;
        a.d = *sum;
        break;
      }
      case k_sum_float:
        a.n += wv;
        a.f += v.as_double() * static_cast<double>(wv);
        break;
      case k_sum_interval: {
        auto m = dt::multiply(v.as_interval(), static_cast<double>(wv));
        if (m) {
          auto s = dt::add(a.iv, *m);
          if (s) a.iv = *s;
        }
        a.n += wv;
        break;
      }
      case k_bool:
        if (v.as_bool())
          a.i += wv;
        else
          a.j += wv;
        break;
      case k_minmax_cached: {
        std::string vk;
        codec::append_key(c.arg_type, v, vk);
        bool better = a.n == 0 || (c.func == "min" ? vk < a.v : vk > a.v);
        if (better) {
          a.v = vk;
          a.exact.clear();
          codec::append_value(c.arg_type, v, a.exact);
        }
        a.n += wv;
        break;
      }
      case k_minmax_multiset:
      case k_string_agg: {
        int64_t before, after;
        multiset_add(key, k, v, w, before, after);
        a.n += w;
        break;
      }
    }
  }
}

bool aggregate_op::output(const std::string& key, const group& g, const datum* keyvals,
                          row_batch& out, arena& ar) {
  if (g.rows <= 0 && !keys_.empty()) return false;
  datum* r = out.add(1);
  for (size_t k = 0; k < keys_.size(); ++k) r[k] = keyvals[k];
  size_t base = keys_.size();
  for (size_t k = 0; k < aggs_.size(); ++k) {
    const agg_call& c = aggs_[k];
    const acc& a = g.accs[k];
    datum& d = r[base + k];
    switch (kinds_[k]) {
      case k_count_star:
        d = datum::of_int(g.rows);
        break;
      case k_count:
        d = datum::of_int(a.n);
        break;
      case k_sum_int:
        d = a.n > 0 ? (c.func == "avg" ? datum::null_value() : datum::of_int(a.i))
                    : datum::null_value();
        break;
      case k_sum_dec:
        if (a.n <= 0) break;
        if (c.func == "sum") {
          d = datum::of_decimal(a.d);
        } else {
          auto q = dec::div(a.d, dec::from_int(a.n));
          if (q) d = datum::of_decimal(*q);
        }
        break;
      case k_sum_float:
        if (a.n <= 0) break;
        d = datum::of_double(c.func == "sum" ? a.f : a.f / static_cast<double>(a.n));
        if (c.type.id == type_id::float32) d = datum::of_double(static_cast<float>(d.as_double()));
        break;
      case k_sum_interval:
        if (a.n <= 0) break;
        if (c.func == "sum") {
          d = datum::of_interval(a.iv);
        } else {
          auto m = dt::multiply(a.iv, 1.0 / static_cast<double>(a.n));
          if (m) d = datum::of_interval(*m);
        }
        break;
      case k_bool:
        if (a.i + a.j <= 0) break;
        d = datum::of_bool(c.func == "bool_and" ? a.j == 0 : a.i > 0);
        break;
      case k_minmax_cached:
        if (a.n > 0) {
          size_t p = 0;
          codec::read_value(c.arg_type, a.exact, p, d, ar);
        }
        break;
      case k_minmax_multiset: {
        if (a.n <= 0) break;
        std::string prefix;
        prefix += multi_tag;
        prefix.append(key, 1, std::string::npos);
        prefix += static_cast<char>(k);
        auto take = [&](std::string_view, std::string_view v) {
          size_t p = 0;
          int64_t count = 0;
          codec::read_svarint(v, p, count);
          codec::read_value(c.arg_type, v, p, d, ar);
          return false;
        };
        if (c.func == "min")
          table_->scan(prefix, prefix_end(prefix), take);
        else
          table_->scan_reverse(prefix, prefix_end(prefix), take);
        break;
      }
      case k_string_agg: {
        // The values in key order (what ORDER BY the value gives), each as
        // many times as it is in the group.
        if (a.n <= 0) break;
        std::string prefix;
        prefix += multi_tag;
        prefix.append(key, 1, std::string::npos);
        prefix += static_cast<char>(k);
        std::string joined;
        bool first = true;
        table_->scan(prefix, prefix_end(prefix), [&](std::string_view, std::string_view v) {
          size_t p = 0;
          int64_t count = 0;
          codec::read_svarint(v, p, count);
          datum x;
          codec::read_value(c.arg_type, v, p, x, ar);
          for (int64_t i = 0; i < count; ++i) {
            if (!first) joined += c.separator;
            joined += x.as_text();
            first = false;
          }
          return true;
        });
        d = datum::of_text(ar.copy(joined));
        break;
      }
    }
  }
  return true;
}

void aggregate_op::on_create() {
  // A global aggregate has its one row before any input: count 0, sums NULL.
  if (!keys_.empty() || eowc_) return;
  row_batch out(static_cast<uint32_t>(out_types_.size()));
  group g;
  std::string key(1, group_tag);
  load(key, g);
  output(key, g, nullptr, out, out.strings());
  emit(out);
}

void aggregate_op::push(int, const row_batch& in) {
  std::unordered_map<std::string, size_t> index;
  std::vector<std::pair<std::string, group>> groups;
  row_batch old_rows(static_cast<uint32_t>(out_types_.size()));
  old_rows.keep_alive(in);
  std::string key;
  std::vector<datum> keyvals(keys_.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (env_.interrupted()) return;
    int64_t w = in.weight(i);
    if (w == 0) continue;
    const datum* row = in.row(i);
    if (wm_key_ >= 0) {
      const datum& wv = row[keys_[static_cast<size_t>(wm_key_)]];
      if (!wv.is_null() && wv.as_int() < closed_below_) {
        ++env_.late_rows;  // its group is closed
        continue;
      }
    }
    key.assign(1, group_tag);
    for (int k : key_order_)
      codec::append_key(in_types_[static_cast<size_t>(keys_[static_cast<size_t>(k)])],
                        row[keys_[static_cast<size_t>(k)]], key);
    auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) {
      groups.emplace_back(key, group{});
      auto& g = groups.back().second;
      g.first_row = i;
      load(key, g);
      if (!eowc_) {
        for (size_t k = 0; k < keys_.size(); ++k) keyvals[k] = row[keys_[k]];
        g.has_old = g.existed && output(key, g, keyvals.data(), old_rows, old_rows.strings());
      }
    }
    auto& [gk, g] = groups[it->second];
    apply(gk, g, row, w);
  }
  row_batch out(static_cast<uint32_t>(out_types_.size()));
  out.keep_alive(in);
  out.keep_alive(old_rows);
  size_t old_index = 0;
  for (auto& [gk, g] : groups) {
    if (env_.interrupted()) return;
    if (g.rows < 0) {
      spdlog::error(
          "sql: view {}: a group's row count went negative ({}): its input deleted rows it never "
          "inserted",
          env_.name, g.rows);
    }
    save(gk, g);
    if (eowc_) continue;
    const datum* old_row = g.has_old ? old_rows.row(old_index++) : nullptr;
    for (size_t k = 0; k < keys_.size(); ++k) keyvals[k] = in.row(g.first_row)[keys_[k]];
    size_t before = out.size();
    bool has_new = output(gk, g, keyvals.data(), out, out.strings());
    if (has_new && old_row) {
      bool same = true;
      const datum* nr = out.row(before);
      for (size_t c = 0; c < out_types_.size() && same; ++c) {
        if (old_row[c].is_null() != nr[c].is_null())
          same = false;
        else if (!old_row[c].is_null() && datum_compare(out_types_[c], old_row[c], nr[c]) != 0)
          same = false;
        else if (!old_row[c].is_null() && out_types_[c].id == type_id::numeric &&
                 old_row[c].as_decimal().scale != nr[c].as_decimal().scale)
          same = false;
      }
      if (same) {
        out.pop_back();  // unchanged: nothing to emit for this group
        continue;
      }
    }
    if (old_row) out.add(old_row, -1);
  }
  emit(out);
}

void aggregate_op::close_below(int64_t value) {
  if (value <= closed_below_) return;
  closed_below_ = value;
  // Groups are encoded with the watermarked key first: the closed ones are
  // a prefix of the table.
  std::string lo(1, group_tag), hi(1, group_tag);
  codec::append_key(in_types_[static_cast<size_t>(keys_[static_cast<size_t>(wm_key_)])],
                    datum::of_int(value), hi);
  std::vector<std::pair<std::string, std::string>> closed;
  table_->scan(lo, hi, [&](std::string_view k, std::string_view v) {
    closed.emplace_back(std::string(k), std::string(v));
    return true;
  });
  if (closed.empty()) return;
  row_batch out(static_cast<uint32_t>(out_types_.size()));
  for (auto& [k, v] : closed) {
    if (eowc_) {
      group g;
      load(k, g);
      std::vector<datum> keyvals(keys_.size());
      size_t p = 1;
      for (int ko : key_order_)
        codec::read_key(in_types_[static_cast<size_t>(keys_[static_cast<size_t>(ko)])], k, p,
                        keyvals[static_cast<size_t>(ko)], out.strings());
      output(k, g, keyvals.data(), out, out.strings());
    }
    table_->del(k);
    std::string mprefix(1, multi_tag);
    mprefix.append(k, 1, std::string::npos);
    table_->delete_prefix(mprefix);
  }
  emit(out);
}

void aggregate_op::watermark(int, int column, int64_t value) {
  if (wm_key_ < 0) return;
  int src = keys_[static_cast<size_t>(wm_key_)];
  if (column != src) return;
  close_below(value);
  // Downstream: the output key column (its position among the keys).
  emit_watermark(wm_key_, value);
}

}  // namespace runnel::sql
