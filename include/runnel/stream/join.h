// Stream–stream joins within a time window (declared in stream.h).
//
// A left record at time t joins the right records of its key with time in
// [t - before, t + after]. Both sides are buffered in window stores (with
// changelogs), so a join survives restarts. Matches are emitted as soon as
// the second record arrives, with the later of the two timestamps. Left and
// outer joins emit an unmatched record (with nullopt for the missing side)
// once no match can come any more: when stream time passes
// t + before + after + grace. A record is late, dropped and counted, when it
// arrives after stream time passed the end of its window plus grace: for a
// left record t + after + grace, for a right one t + before + grace (Kafka
// Streams' rule; it is also what makes the unmatched emission above final).
#pragma once

#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/stream/stream.h"
#include "runnel/stream/windowed.h"

namespace runnel::stream {

struct join_window {
  std::chrono::milliseconds before{0}, after{0}, grace_period{0};
  // Records of the two sides join if their times differ by at most d.
  static join_window of(std::chrono::milliseconds d) {
    return {d, d, std::chrono::milliseconds(0)};
  }
  join_window grace(std::chrono::milliseconds g) const {
    auto w = *this;
    w.grace_period = g;
    return w;
  }
  // Asymmetric: the right record may be up to `b` earlier / `a` later.
  join_window with_before(std::chrono::milliseconds b) const {
    auto w = *this;
    w.before = b;
    return w;
  }
  join_window with_after(std::chrono::milliseconds a) const {
    auto w = *this;
    w.after = a;
    return w;
  }
};

namespace detail {

enum class join_kind { inner, left, outer };

template <class K, class V1, class V2, class R>
struct join_op {
  std::string name, left_store, right_store;
  int64_t before = 0, after = 0, grace = 0;
  join_kind kind = join_kind::inner;
  std::shared_ptr<const serde<K>> ks;
  std::shared_ptr<const serde<V1>> vs1;
  std::shared_ptr<const serde<V2>> vs2;
  // Called with whichever sides exist (inner: both always).
  std::function<R(const std::optional<V1>&, const std::optional<V2>&)> joiner;
};

// One task's join: both sides' buffers and the close bound. Buffer entries
// are a flag byte ('m' matched, 'u' not yet) and the serialised value.
template <class K, class V1, class V2, class R>
struct join_instance {
  task_context& t;
  const join_op<K, V1, V2, R>& op;
  typename node<K, R>::sink down;
  window_bytes_store& ls;
  window_bytes_store& rs;
  int64_t closed = INT64_MIN;
  int64_t last_offset = -1;
  uint32_t sub = 0;

  join_instance(task_context& tc, const join_op<K, V1, V2, R>& o, typename node<K, R>::sink d)
      : t(tc),
        op(o),
        down(std::move(d)),
        ls(tc.window_store(o.left_store)),
        rs(tc.window_store(o.right_store)) {
    closed = read_watermark(tc, ls.get("", watermark_slot));
  }

  int64_t close_bound(int64_t now) const {
    return now == INT64_MIN ? INT64_MIN : now - op.before - op.after - op.grace - 1;
  }
  uint32_t next_seq() {
    auto& origin = t.origin();
    sub = origin.offset == last_offset ? sub + 1 : 0;
    last_offset = origin.offset;
    return (static_cast<uint32_t>(origin.offset) << 4) | (sub & 15);
  }
  void emit(const K& k, std::optional<V1> a, std::optional<V2> b, int64_t ts) {
    down(record<K, R>{k, op.joiner(a, b), ts});
  }

  // A record from one side: match against the other side's buffer, then
  // buffer it. `left` says which side it came from.
  template <bool left, class Mine, class Other>
  void arrive(record<K, Mine>&& r, window_bytes_store& mine_store, window_bytes_store& other_store,
              const serde<Mine>& mine_serde, const serde<Other>& other_serde, int64_t lo,
              int64_t hi) {
    // Late once stream time passed the end of this record's window (t + hi)
    // plus grace, as in Kafka Streams. Buffers keep records until
    // close_bound, which is `lo` older, so a record that is not late finds
    // every match the other side still may hold.
    int64_t now = t.stream_time();
    int64_t bound = std::max(closed, now == INT64_MIN ? INT64_MIN : now - hi - op.grace - 1);
    std::string kb;
    op.ks->serialize(r.key, kb);
    std::string vb;
    mine_serde.serialize(r.value, vb);
    if (r.timestamp <= bound) return t.late_record(op.name, kb, vb, r.timestamp);
    // Track which side is unmatched only where it will be emitted.
    bool track_other = left ? op.kind == join_kind::outer : op.kind != join_kind::inner;
    bool matched = false;
    std::vector<std::tuple<int64_t, uint32_t, std::string>> now_matched;
    other_store.fetch(
        kb, r.timestamp - lo, r.timestamp + hi, [&](int64_t ts, uint32_t seq, std::string_view v) {
          if (v.empty()) return true;
          std::string why;
          auto other = other_serde.deserialize(v.substr(1), &why);
          if (!other) {
            t.bad_record("buffered join value: " + why, kb, v.substr(1), ts);
            return true;
          }
          matched = true;
          int64_t out_ts = std::max(ts, r.timestamp);
          if constexpr (left)
            emit(r.key, std::optional<V1>(r.value), std::optional<V2>(std::move(*other)), out_ts);
          else
            emit(r.key, std::optional<V1>(std::move(*other)), std::optional<V2>(r.value), out_ts);
          if (track_other && v[0] == 'u')
            now_matched.emplace_back(ts, seq, std::string(v.substr(1)));
          return true;
        });
    for (auto& [ts, seq, v] : now_matched) other_store.put(kb, ts, "m" + v, seq);
    mine_store.put(kb, r.timestamp, (matched ? "m" : "u") + vb, next_seq());
  }

  void left_record(record<K, V1>&& r) {
    arrive<true, V1, V2>(std::move(r), ls, rs, *op.vs1, *op.vs2, op.before, op.after);
  }
  void right_record(record<K, V2>&& r) {
    arrive<false, V2, V1>(std::move(r), rs, ls, *op.vs2, *op.vs1, op.after, op.before);
  }

  // Emits the unmatched records whose windows closed, then drops them.
  void on_time(int64_t now) {
    int64_t bound = close_bound(now);
    if (bound <= closed) return;
    int64_t from = closed == INT64_MIN ? INT64_MIN + 1 : closed + 1;
    auto flush_side = [&](window_bytes_store& st, bool left) {
      std::vector<std::tuple<std::string, int64_t, std::string>> unmatched;
      st.fetch_all(from, bound, [&](std::string_view k, int64_t ts, uint32_t, std::string_view v) {
        if (!v.empty() && v[0] == 'u')
          unmatched.emplace_back(std::string(k), ts, std::string(v.substr(1)));
        return true;
      });
      // An entry that cannot be read back is a bad record (the error
      // policy decides), never silently left out.
      for (auto& [kb, ts, vb] : unmatched) {
        std::string why;
        auto key = op.ks->deserialize(kb, &why);
        if (!key) {
          t.bad_record("buffered join key: " + why, kb, vb, ts);
          continue;
        }
        if (left) {
          auto v = op.vs1->deserialize(vb, &why);
          if (!v)
            t.bad_record("buffered join value: " + why, kb, vb, ts);
          else
            emit(*key, std::move(*v), std::nullopt, ts);
        } else {
          auto v = op.vs2->deserialize(vb, &why);
          if (!v)
            t.bad_record("buffered join value: " + why, kb, vb, ts);
          else
            emit(*key, std::nullopt, std::move(*v), ts);
        }
      }
      st.expire(bound + 1);
    };
    if (op.kind != join_kind::inner)
      flush_side(ls, true);
    else
      ls.expire(bound + 1);
    if (op.kind == join_kind::outer)
      flush_side(rs, false);
    else
      rs.expire(bound + 1);
    closed = bound;
    ls.put("", watermark_slot, encode_watermark(bound));
  }
};

template <class K, class V1, class V2, class R>
stream<K, R> add_stream_join(
    const stream<K, V1>& left_in, const stream<K, V2>& right_in, const join_window& w,
    join_kind kind, std::function<R(const std::optional<V1>&, const std::optional<V2>&)> joiner) {
  // Both sides must be partitioned by the join key.
  stream<K, V1> l = access::node(left_in)->key_changed ? left_in.repartition() : left_in;
  stream<K, V2> r = access::node(right_in)->key_changed ? right_in.repartition() : right_in;
  const auto& ln = access::node(l);
  const auto& rn = access::node(r);
  auto& g = ln->topology();
  auto op = std::make_shared<join_op<K, V1, V2, R>>();
  op->name = g.name("join");
  op->left_store = op->name + "-left-store";
  op->right_store = op->name + "-right-store";
  op->before = w.before.count();
  op->after = w.after.count();
  op->grace = w.grace_period.count();
  op->kind = kind;
  op->ks = serde_or_default<K>(access::key_serde(l));
  op->vs1 = serde_or_default<V1>(access::value_serde(l));
  op->vs2 = serde_or_default<V2>(access::value_serde(r));
  op->joiner = std::move(joiner);
  int64_t retention = op->before + op->after + op->grace + 1;
  auto out = derive<K, R>(ln, false);
  out->join_group(rn->group());
  g.stores.push_back({store_kind::window, op->left_store, out->group(), retention});
  g.stores.push_back({store_kind::window, op->right_store, out->group(), retention});
  // One instance per task, shared by the two sides' entry points.
  auto instance_of = [op, out](task_context& t) {
    auto& slot = t.instance(op.get());
    if (!slot) {
      auto inst = std::make_shared<join_instance<K, V1, V2, R>>(t, *op, out->instantiate(t));
      t.schedule(std::chrono::milliseconds(1), punctuation_type::stream_time,
                 [inst](int64_t now) { inst->on_time(now); });
      slot = inst;
    }
    return std::static_pointer_cast<join_instance<K, V1, V2, R>>(slot);
  };
  ln->add_child([instance_of](task_context& t) {
    return [inst = instance_of(t)](record<K, V1>&& rec) { inst->left_record(std::move(rec)); };
  });
  rn->add_child([instance_of](task_context& t) {
    return [inst = instance_of(t)](record<K, V2>&& rec) { inst->right_record(std::move(rec)); };
  });
  return access::make<stream<K, R>>(out, access::key_serde(l), nullptr);
}

}  // namespace detail

template <class K, class V>
template <class V2, class F>
auto stream<K, V>::join(const stream<K, V2>& other, F joiner, const join_window& w) const {
  using R = std::decay_t<std::invoke_result_t<F&, const V&, const V2&>>;
  return detail::add_stream_join<K, V, V2, R>(
      *this, other, w, detail::join_kind::inner,
      [joiner](const std::optional<V>& a, const std::optional<V2>& b) mutable {
        return joiner(*a, *b);
      });
}

template <class K, class V>
template <class V2, class F>
auto stream<K, V>::left_join(const stream<K, V2>& other, F joiner, const join_window& w) const {
  using R = std::decay_t<std::invoke_result_t<F&, const V&, const std::optional<V2>&>>;
  return detail::add_stream_join<K, V, V2, R>(
      *this, other, w, detail::join_kind::left,
      [joiner](const std::optional<V>& a, const std::optional<V2>& b) mutable {
        return joiner(*a, b);
      });
}

template <class K, class V>
template <class V2, class F>
auto stream<K, V>::outer_join(const stream<K, V2>& other, F joiner, const join_window& w) const {
  using R =
      std::decay_t<std::invoke_result_t<F&, const std::optional<V>&, const std::optional<V2>&>>;
  return detail::add_stream_join<K, V, V2, R>(*this, other, w, detail::join_kind::outer, joiner);
}

}  // namespace runnel::stream
