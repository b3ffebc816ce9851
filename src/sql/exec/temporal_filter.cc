#include "sql/exec/temporal_filter.h"

#include <vector>

namespace runnel::sql {

namespace {

constexpr char enter_tag = 'e';
constexpr char leave_tag = 'l';

}  // namespace

temporal_filter_op::temporal_filter_op(exec_env& env, schema_types types, temporal_bound bound)
    : op(env),
      types_(std::move(types)),
      bound_(std::move(bound)),
      now_(env.now),
      table_(env.new_table()) {}

void temporal_filter_op::schedule(int64_t when, bool enter, const datum* row, int64_t w) {
  std::string key;
  codec::append_key(type_id::int64, datum::of_int(when), key);
  key += enter ? enter_tag : leave_tag;
  append_row_key(types_, row, key);
  int64_t count = 0;
  auto cur = table_->get(key);
  std::string value;
  if (cur) {
    size_t p = 0;
    codec::read_svarint(*cur, p, count);
    codec::append_svarint(count + w, value);
    value.append(*cur, p, std::string::npos);
  } else {
    codec::append_svarint(w, value);
    encode_row(types_, row, value);
  }
  if (count + w == 0)
    table_->del(key);
  else
    table_->put(key, value);
}

void temporal_filter_op::push(int, const row_batch& in) {
  row_batch out(static_cast<uint32_t>(types_.size()));
  out.keep_alive(in);
  auto c = context(out);
  for (size_t i = 0; i < in.size(); ++i) {
    const datum* row = in.row(i);
    int64_t w = in.weight(i);
    if (w == 0) continue;
    datum lo = bound_.lower ? bound_.lower->eval(row, c) : datum::null_value();
    datum hi = bound_.upper ? bound_.upper->eval(row, c) : datum::null_value();
    if (!row_ok(c)) return;
    // A bound that is NULL compares as unknown: the row is never visible.
    if ((bound_.lower && lo.is_null()) || (bound_.upper && hi.is_null())) continue;
    if (bound_.lower && bound_.upper && hi.as_int() <= lo.as_int()) continue;  // an empty interval
    bool entered = !bound_.lower || lo.as_int() <= now_;
    bool left = bound_.upper && hi.as_int() <= now_;
    if (left) continue;  // its time has passed
    if (entered) {
      out.add(row, w);
    } else {
      schedule(lo.as_int(), true, row, w);
    }
    if (bound_.upper) schedule(hi.as_int(), false, row, w);
  }
  emit(out);
}

void temporal_filter_op::tick(int64_t now) {
  if (now <= now_) return;
  now_ = now;
  std::string end;
  codec::append_key(type_id::int64, datum::of_int(now), end);
  end += static_cast<char>(0xff);  // every change at `now` itself too
  std::vector<std::string> done;
  row_batch out(static_cast<uint32_t>(types_.size()));
  std::vector<datum> row(types_.size());
  table_->scan("", end, [&](std::string_view k, std::string_view v) {
    // The tag follows the time's key: a marker byte and 8 bytes.
    bool enter = k.size() > 9 && k[9] == enter_tag;
    size_t p = 0;
    int64_t count = 0;
    codec::read_svarint(v, p, count);
    datum* r = out.add(enter ? count : -count);
    codec::read_row(types_, v, p, r, out.strings());
    done.emplace_back(k);
    return true;
  });
  for (const auto& k : done) table_->del(k);
  consolidate(out, types_);
  emit(out);
}

}  // namespace runnel::sql
