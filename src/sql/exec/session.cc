#include "sql/exec/session.h"

#include <algorithm>
#include <map>

namespace runnel::sql {

struct session_op::stored {
  std::string key;             // the row's key in rows_
  int64_t ts = 0;              // its time
  int64_t count = 0;           // copies (only positive counts are rows)
  std::string value;           // count, then the exact row
  int64_t start = 0, end = 0;  // its session's window
};

namespace {

void assign_sessions(std::vector<session_op::stored>& rows, int64_t gap) {
  size_t first = 0;
  while (first < rows.size()) {
    size_t last = first;  // the session's last row with a positive count
    bool any = rows[first].count > 0;
    size_t k = first + 1;
    for (; k < rows.size(); ++k) {
      if (rows[k].count <= 0) continue;
      if (any && rows[k].ts - rows[last].ts > gap) break;
      if (!any) first = k;
      any = true;
      last = k;
    }
    if (any) {
      for (size_t i = first; i < k; ++i) {
        rows[i].start = rows[first].ts;
        rows[i].end = rows[last].ts + gap;
      }
    }
    first = k;
  }
}

}  // namespace

session_op::session_op(exec_env& env, schema_types in_types, std::vector<int> partition,
                       int time_column, int64_t gap)
    : op(env),
      types_(std::move(in_types)),
      partition_(std::move(partition)),
      time_(time_column),
      gap_(gap),
      rows_(env.new_table()),
      sessions_(env.new_table()) {}

std::vector<session_op::stored> session_op::load(const std::string& prefix, int64_t lo,
                                                 int64_t hi) {
  const sql_type& tt = types_[static_cast<size_t>(time_)];
  std::string from = prefix, to = prefix;
  codec::append_key(tt, datum::of_int(lo), from);
  codec::append_key(tt, datum::of_int(hi), to);
  to = prefix_end(to);
  std::vector<stored> out;
  rows_->scan(from, to, [&](std::string_view k, std::string_view v) {
    stored s;
    size_t p = prefix.size();
    datum t;
    arena ar;
    codec::read_key(tt, k, p, t, ar);
    s.ts = t.as_int();
    size_t q = 0;
    codec::read_svarint(v, q, s.count);
    s.key.assign(k);
    s.value.assign(v);
    out.push_back(std::move(s));
    return true;
  });
  return out;
}

void session_op::update(const std::string& prefix,
                        const std::vector<std::pair<size_t, int64_t>>& changes, const row_batch& in,
                        row_batch& out) {
  const sql_type& tt = types_[static_cast<size_t>(time_)];
  int64_t tmin = INT64_MAX, tmax = INT64_MIN;
  for (auto [i, w] : changes) {
    int64_t ts = in.row(i)[time_].as_int();
    tmin = std::min(tmin, ts);
    tmax = std::max(tmax, ts);
  }
  auto ts_of = [&](std::string_view k) {
    size_t p = prefix.size();
    datum t;
    arena ar;
    codec::read_key(tt, k, p, t, ar);
    return t.as_int();
  };
  // The region: from the first row of the session that reaches tmin to the
  // last row of the one that reaches tmax. Rows outside are more than a gap
  // away from every row inside, before and after the changes.
  int64_t lo = tmin;
  std::string at = prefix;
  codec::append_key(tt, datum::of_int(tmin), at);
  rows_->scan_reverse(prefix, at, [&](std::string_view k, std::string_view) {
    int64_t ts = ts_of(k);
    if (lo - ts > gap_) return false;
    lo = ts;
    return true;
  });
  int64_t hi = tmax;
  at = prefix;
  codec::append_key(tt, datum::of_int(tmax), at);
  rows_->scan(at, prefix_end(prefix), [&](std::string_view k, std::string_view) {
    int64_t ts = ts_of(k);
    if (ts - hi > gap_) return false;
    hi = std::max(hi, ts);
    return true;
  });
  std::vector<stored> before = load(prefix, lo, hi);

  // Apply the changes.
  std::string key, exact;
  for (auto [i, w] : changes) {
    const datum* row = in.row(i);
    key = prefix;
    codec::append_key(tt, row[time_], key);
    append_row_key(types_, row, key);
    auto cur = rows_->get(key);
    int64_t count = 0;
    size_t p = 0;
    if (cur) codec::read_svarint(*cur, p, count);
    count += w;
    if (count == 0) {
      rows_->del(key);
      continue;
    }
    exact.clear();
    codec::append_svarint(count, exact);
    if (cur)
      exact.append(*cur, p, std::string::npos);
    else
      encode_row(types_, row, exact);
    rows_->put(key, exact);
  }
  std::vector<stored> after = load(prefix, lo, hi);

  assign_sessions(before, gap_);
  assign_sessions(after, gap_);
  auto session_key = [&](const stored& s) {
    std::string k;
    codec::append_key(tt, datum::of_int(s.end), k);
    k += prefix;
    codec::append_key(tt, datum::of_int(s.start), k);
    return k;
  };
  for (const auto& s : before)
    if (s.count > 0) sessions_->del(session_key(s));
  for (const auto& s : after)
    if (s.count > 0) sessions_->put(session_key(s), {});

  // Emit what changed: a row whose window moved is retracted and inserted
  // again; one whose window stayed changes only by its count's change.
  const uint32_t width = static_cast<uint32_t>(types_.size());
  auto add = [&](const stored& s, int64_t w) {
    if (w == 0) return;
    datum* r = out.add(w);
    size_t p = 0;
    int64_t ignored = 0;
    codec::read_svarint(s.value, p, ignored);
    codec::read_row(types_, s.value, p, r, out.strings());
    r = out.row(out.size() - 1);
    r[width] = datum::of_int(s.start);
    r[width + 1] = datum::of_int(s.end);
  };
  size_t i = 0, j = 0;
  while (i < before.size() || j < after.size()) {
    int c = i == before.size() ? 1 : j == after.size() ? -1 : before[i].key.compare(after[j].key);
    if (c < 0) {
      add(before[i], -std::max<int64_t>(before[i].count, 0));
      ++i;
    } else if (c > 0) {
      add(after[j], std::max<int64_t>(after[j].count, 0));
      ++j;
    } else {
      const stored& o = before[i++];
      const stored& n = after[j++];
      int64_t oc = std::max<int64_t>(o.count, 0), nc = std::max<int64_t>(n.count, 0);
      if (oc > 0 && nc > 0 && o.start == n.start && o.end == n.end) {
        add(n, nc - oc);
      } else {
        add(o, -oc);
        add(n, nc);
      }
    }
  }
}

void session_op::push(int, const row_batch& in) {
  // The changes of each partition (ordered: the output is deterministic).
  std::map<std::string, std::vector<std::pair<size_t, int64_t>>> parts;
  std::string key;
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t w = in.weight(i);
    const datum* row = in.row(i);
    if (w == 0 || row[time_].is_null()) continue;  // no time, no session
    if (has_wm_ && row[time_].as_int() < wm_) {
      ++env_.late_rows;  // it could touch a session that has closed
      continue;
    }
    key.clear();
    append_cols_key(types_, row, partition_, key);
    parts[key].emplace_back(i, w);
  }
  if (parts.empty()) return;
  row_batch out(static_cast<uint32_t>(types_.size() + 2));
  out.keep_alive(in);
  for (const auto& [prefix, changes] : parts) {
    if (env_.interrupted()) return;
    update(prefix, changes, in, out);
  }
  emit(out);
}

void session_op::watermark(int, int column, int64_t value) {
  if (column != time_) return;
  if (has_wm_ && value <= wm_) return;
  has_wm_ = true;
  wm_ = value;
  // Sessions that end before the watermark are closed: no row at or after
  // it is within a gap of their last row.
  const sql_type& tt = types_[static_cast<size_t>(time_)];
  std::string hi;
  codec::append_key(tt, datum::of_int(value), hi);
  std::vector<std::string> closed;
  sessions_->scan({}, hi, [&](std::string_view k, std::string_view) {
    closed.emplace_back(k);
    return true;
  });
  for (const auto& k : closed) {
    size_t p = 0;
    arena ar;
    datum end, start, d;
    codec::read_key(tt, k, p, end, ar);
    size_t from = p;
    for (int c : partition_) codec::read_key(types_[static_cast<size_t>(c)], k, p, d, ar);
    std::string prefix = k.substr(from, p - from);
    codec::read_key(tt, k, p, start, ar);
    std::string lo = prefix, up = prefix;
    codec::append_key(tt, start, lo);
    codec::append_key(tt, datum::of_int(end.as_int() - gap_), up);
    rows_->delete_range(lo, prefix_end(up));
    sessions_->del(k);
  }
  emit_watermark(static_cast<int>(types_.size() + 1), value);
}

}  // namespace runnel::sql
