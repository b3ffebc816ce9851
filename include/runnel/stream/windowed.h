// Windowed aggregations: grouped_stream::windowed_by(...) gives one of these;
// count/reduce/aggregate then make a table<windowed<K>, A>.
//
// Each aggregation keeps its windows in a window (or session) store. Stream
// time closes windows (windows.h); the largest closed bound is kept in the
// store itself (a watermark entry under the empty key at INT64_MIN,
// docs/format/state-stores.md), so a restarted or moved task still refuses
// records for windows it already closed. emit::on_update forwards every
// change; emit::on_window_close forwards each window once, when it closes,
// then deletes it (logged, so a restore does not bring it back).
#pragma once

#include <climits>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "runnel/stream/grouped.h"
#include "runnel/stream/windows.h"

namespace runnel::stream {
namespace detail {

constexpr int64_t watermark_slot = INT64_MIN;

// The watermark entry's value (docs/format/state-stores.md, "Watermark
// entries"): a format byte, then the closed bound as 8 bytes big-endian.
constexpr char watermark_format = 1;
inline std::string encode_watermark(int64_t bound) {
  std::string s(1, watermark_format);
  append_big_endian(s, static_cast<uint64_t>(bound));
  return s;
}
// nullopt: not a watermark value. Stores written before the format byte hold
// the bound as 8 bytes in host order, which was little-endian on every host
// runnel ran on; those still read.
inline std::optional<int64_t> decode_watermark(std::string_view s) {
  if (s.size() == 9 && s[0] == watermark_format)
    return static_cast<int64_t>(read_big_endian<uint64_t>(s.substr(1)));
  if (s.size() == 8) {
    uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(s[i]);
    return static_cast<int64_t>(u);
  }
  return std::nullopt;
}
// The closed bound a store's watermark entry holds; INT64_MIN (nothing
// closed) without one. An unreadable entry is a bad record: the error policy
// decides (fail stops the app), never a silent "nothing closed".
inline int64_t read_watermark(task_context& t, const std::optional<std::string>& bytes) {
  if (!bytes) return INT64_MIN;
  if (auto bound = decode_watermark(*bytes)) return *bound;
  t.bad_record("unreadable window watermark entry in a state store", std::nullopt, *bytes,
               t.stream_time());
  return INT64_MIN;
}

// floor(v / m) * m for any sign.
inline int64_t floor_to(int64_t v, int64_t m) {
  return v - ((v % m) + m) % m;
}

template <class K, class V, class A>
struct window_op {
  std::string name;   // operator name, for late-record reports
  std::string store;  // its window or session store
  int64_t size = 0;   // tumbling/hopping size, sliding difference, session gap
  int64_t advance = 0;
  int64_t grace = 0;
  emit mode = emit::on_update;
  std::shared_ptr<const serde<K>> ks;
  std::shared_ptr<const serde<V>> vs;  // sliding windows buffer values
  std::shared_ptr<const serde<A>> as;
  std::function<A(const K&, const V&, std::optional<A>)> step;
  std::function<A(const K&, A, A)> merge;  // sessions
};

template <class K, class A>
using window_sink = typename node<windowed<K>, std::optional<A>>::sink;

// Shared by the three kinds: the persisted close bound and late reports.
template <class K, class V, class A>
struct window_base {
  task_context& t;
  const window_op<K, V, A>& op;
  window_sink<K, A> down;
  int64_t closed = INT64_MIN;  // everything at or below this bound is closed
  std::string kb, vb;

  window_base(task_context& tc, const window_op<K, V, A>& o, window_sink<K, A> d)
      : t(tc), op(o), down(std::move(d)) {}

  void late(const record<K, V>& r) {
    kb.clear();
    op.ks->serialize(r.key, kb);
    std::optional<std::string_view> value;
    if (op.vs) {
      vb.clear();
      op.vs->serialize(r.value, vb);
      value = vb;
    }
    t.late_record(op.name, kb, value, r.timestamp);
  }
  std::optional<A> read(std::string_view key_bytes, std::string_view bytes, int64_t ts) {
    std::string why;
    auto a = op.as->deserialize(bytes, &why);
    if (!a) t.bad_record("stored window aggregate: " + why, key_bytes, bytes, ts);
    return a;
  }
  std::optional<K> read_key(std::string_view bytes, int64_t ts) {
    std::string why;
    auto k = op.ks->deserialize(bytes, &why);
    if (!k) t.bad_record("stored window key: " + why, bytes, std::nullopt, ts);
    return k;
  }
  void emit_window(K key, int64_t start, int64_t end, std::optional<A> a, int64_t ts) {
    down(record<windowed<K>, std::optional<A>>{windowed<K>{std::move(key), start, end},
                                               std::move(a), ts});
  }
};

// Tumbling and hopping windows: store entries (key, window start) -> A.
template <class K, class V, class A>
struct time_window_instance : window_base<K, V, A> {
  window_bytes_store& st;
  time_window_instance(task_context& t, const window_op<K, V, A>& op, window_sink<K, A> down)
      : window_base<K, V, A>(t, op, std::move(down)), st(t.window_store(op.store)) {
    this->closed = read_watermark(t, st.get("", watermark_slot));
  }

  // The last window start that is closed at stream time `now`.
  int64_t close_bound(int64_t now) const {
    if (now == INT64_MIN) return INT64_MIN;
    return floor_to(now - this->op.size - this->op.grace, this->op.advance);
  }

  void process(record<K, V>&& r) {
    auto& op = this->op;
    int64_t bound = std::max(this->closed, close_bound(this->t.stream_time()));
    auto starts = window_starts(r.timestamp, op.size, op.advance);
    std::string key_bytes;
    op.ks->serialize(r.key, key_bytes);
    bool any = false;
    for (int64_t s : starts) {
      if (s <= bound) continue;
      any = true;
      std::optional<A> agg;
      if (auto old = st.get(key_bytes, s)) {
        agg = this->read(key_bytes, *old, r.timestamp);
        if (!agg) return;
      }
      A next = op.step(r.key, r.value, std::move(agg));
      this->vb.clear();
      op.as->serialize(next, this->vb);
      st.put(key_bytes, s, this->vb);
      if (op.mode == emit::on_update)
        this->emit_window(r.key, s, s + op.size, std::move(next), r.timestamp);
    }
    if (!any) this->late(r);
  }

  void on_time(int64_t now) {
    int64_t bound = close_bound(now);
    if (bound <= this->closed) return;
    if (this->op.mode == emit::on_window_close) {
      std::vector<std::tuple<std::string, int64_t, std::string>> done;
      st.fetch_all(this->closed == INT64_MIN ? INT64_MIN + 1 : this->closed + 1, bound,
                   [&](std::string_view k, int64_t s, uint32_t, std::string_view v) {
                     done.emplace_back(std::string(k), s, std::string(v));
                     return true;
                   });
      for (auto& [k, s, v] : done) {
        auto key = this->read_key(k, s);
        auto agg = this->read(k, v, s);
        if (key && agg)
          this->emit_window(std::move(*key), s, s + this->op.size, std::move(agg),
                            s + this->op.size - 1);
        st.remove(k, s);
      }
    } else {
      st.expire(bound + 1);
    }
    this->closed = bound;
    st.put("", watermark_slot, encode_watermark(bound));
  }
};

// Sliding windows: the store buffers the records themselves (key, ts, seq)
// -> V; a record's window [ts - difference, ts] is computed from them.
template <class K, class V, class A>
struct sliding_window_instance : window_base<K, V, A> {
  window_bytes_store& st;
  int64_t last_offset = -1;
  uint32_t sub = 0;
  sliding_window_instance(task_context& t, const window_op<K, V, A>& op, window_sink<K, A> down)
      : window_base<K, V, A>(t, op, std::move(down)), st(t.window_store(op.store)) {
    this->closed = read_watermark(t, st.get("", watermark_slot));
  }

  // Records whose window ends at or below this are closed.
  int64_t close_bound(int64_t now) const {
    return now == INT64_MIN ? INT64_MIN : now - 1 - this->op.grace;
  }

  std::optional<A> compute(std::string_view key_bytes, const K& key, int64_t end) {
    std::optional<A> agg;
    bool bad = false;
    st.fetch(key_bytes, end - this->op.size, end, [&](int64_t ts, uint32_t, std::string_view v) {
      std::string why;
      auto value = this->op.vs->deserialize(v, &why);
      if (!value) {
        this->t.bad_record("buffered value: " + why, key_bytes, v, ts);
        bad = true;
        return false;
      }
      agg = this->op.step(key, *value, std::move(agg));
      return true;
    });
    if (bad) return std::nullopt;
    return agg;
  }

  void process(record<K, V>&& r) {
    auto& op = this->op;
    // Close what stream time has closed before the record joins the buffer:
    // it may fall into later records' open windows while its own window is
    // already closed, and that window must never be emitted.
    on_time(this->t.stream_time());
    int64_t bound = std::max(this->closed, close_bound(this->t.stream_time()));
    // Late only when every window it can be part of — those ending in
    // [t, t + difference] — is closed (Kafka Streams' rule).
    if (r.timestamp + op.size <= bound) return this->late(r);
    auto& origin = this->t.origin();
    sub = origin.offset == last_offset ? sub + 1 : 0;
    last_offset = origin.offset;
    uint32_t seq = (static_cast<uint32_t>(origin.offset) << 4) | (sub & 15);
    std::string key_bytes;
    op.ks->serialize(r.key, key_bytes);
    this->vb.clear();
    op.vs->serialize(r.value, this->vb);
    st.put(key_bytes, r.timestamp, this->vb, seq);
    if (op.mode != emit::on_update) return;
    // This record's window if still open, then the open windows of later
    // records it joins.
    std::vector<int64_t> ends;
    if (r.timestamp > bound) ends.push_back(r.timestamp);
    st.fetch(key_bytes, std::max(r.timestamp, bound) + 1, r.timestamp + op.size,
             [&](int64_t ts, uint32_t, std::string_view) {
               if (ends.empty() || ends.back() != ts) ends.push_back(ts);
               return true;
             });
    for (int64_t end : ends)
      if (auto agg = compute(key_bytes, r.key, end))
        this->emit_window(r.key, end - op.size, end + 1, std::move(agg), r.timestamp);
  }

  void on_time(int64_t now) {
    int64_t bound = close_bound(now);
    if (bound <= this->closed) return;
    if (this->op.mode == emit::on_window_close) {
      std::vector<std::pair<std::string, int64_t>> done;
      st.fetch_all(this->closed == INT64_MIN ? INT64_MIN + 1 : this->closed + 1, bound,
                   [&](std::string_view k, int64_t ts, uint32_t, std::string_view) {
                     if (done.empty() || done.back().first != k || done.back().second != ts)
                       done.emplace_back(std::string(k), ts);
                     return true;
                   });
      for (auto& [k, ts] : done) {
        auto key = this->read_key(k, ts);
        if (!key) continue;
        if (auto agg = compute(k, *key, ts))
          this->emit_window(std::move(*key), ts - this->op.size, ts + 1, std::move(agg), ts);
      }
    }
    // A buffered record is needed until the last window containing it closes.
    if (bound - this->op.size > INT64_MIN) st.expire(bound - this->op.size);
    this->closed = bound;
    st.put("", watermark_slot, encode_watermark(bound));
  }
};

// Session windows: the store holds (key, start, end) -> A, end being the
// last record's time; the emitted window is [start, end + 1).
template <class K, class V, class A>
struct session_window_instance : window_base<K, V, A> {
  session_bytes_store& st;
  session_window_instance(task_context& t, const window_op<K, V, A>& op, window_sink<K, A> down)
      : window_base<K, V, A>(t, op, std::move(down)), st(t.session_store(op.store)) {
    std::optional<std::string> mark;
    st.find("", INT64_MIN, INT64_MIN, [&](int64_t s, int64_t e, std::string_view v) {
      if (s == INT64_MIN && e == INT64_MIN) mark.emplace(v);
      return true;
    });
    this->closed = read_watermark(t, mark);
  }

  // Sessions ending at or below this can no longer grow.
  int64_t close_bound(int64_t now) const {
    return now == INT64_MIN ? INT64_MIN : now - this->op.size - this->op.grace - 1;
  }

  void process(record<K, V>&& r) {
    auto& op = this->op;
    int64_t bound = std::max(this->closed, close_bound(this->t.stream_time()));
    std::string key_bytes;
    op.ks->serialize(r.key, key_bytes);
    std::vector<std::tuple<int64_t, int64_t, std::string>> merged;
    st.find(key_bytes, r.timestamp - op.size, r.timestamp + op.size,
            [&](int64_t s, int64_t e, std::string_view v) {
              if (e > bound) merged.emplace_back(s, e, std::string(v));
              return true;
            });
    // Late when the session it makes or joins is closed: a record older
    // than the bound still joins an open session it reaches (Kafka Streams
    // decides on the merged session's end too).
    int64_t start = r.timestamp, end = r.timestamp;
    for (auto& [s, e, v] : merged) {
      start = std::min(start, s);
      end = std::max(end, e);
    }
    if (end <= bound) return this->late(r);
    A agg = op.step(r.key, r.value, std::nullopt);
    for (auto& [s, e, v] : merged) {
      auto old = this->read(key_bytes, v, r.timestamp);
      if (!old) return;
      agg = op.merge(r.key, std::move(*old), std::move(agg));
      st.remove(key_bytes, s, e);
      if (op.mode == emit::on_update) this->emit_window(r.key, s, e + 1, std::nullopt, r.timestamp);
    }
    this->vb.clear();
    op.as->serialize(agg, this->vb);
    st.put(key_bytes, start, end, this->vb);
    if (op.mode == emit::on_update)
      this->emit_window(r.key, start, end + 1, std::move(agg), r.timestamp);
  }

  void on_time(int64_t now) {
    int64_t bound = close_bound(now);
    if (bound <= this->closed) return;
    if (this->op.mode == emit::on_window_close) {
      std::vector<std::tuple<std::string, int64_t, int64_t, std::string>> done;
      st.fetch_ended(this->closed == INT64_MIN ? INT64_MIN + 1 : this->closed + 1, bound,
                     [&](std::string_view k, int64_t s, int64_t e, std::string_view v) {
                       done.emplace_back(std::string(k), s, e, std::string(v));
                       return true;
                     });
      for (auto& [k, s, e, v] : done) {
        auto key = this->read_key(k, e);
        auto agg = this->read(k, v, e);
        if (key && agg) this->emit_window(std::move(*key), s, e + 1, std::move(agg), e);
        st.remove(k, s, e);
      }
    } else {
      st.expire(bound + 1);
    }
    this->closed = bound;
    st.put("", INT64_MIN, INT64_MIN, encode_watermark(bound));
  }
};

// Adds a windowed aggregation node after `s`; Instance is one of the above.
template <template <class, class, class> class Instance, class K, class V, class A>
table<windowed<K>, A> add_window_aggregation(const stream<K, V>& s, store_kind kind,
                                             int64_t retention, int64_t key_window_size,
                                             std::shared_ptr<window_op<K, V, A>> op) {
  const auto& from = access::node(s);
  auto& g = from->topology();
  // Tumbling and hopping aggregates rewrite each window once per record: a
  // cache turns those into one store write and changelog record per commit.
  // Sliding and session stores are scanned on every record, so gain nothing.
  constexpr bool cached = std::is_same_v<Instance<K, V, A>, time_window_instance<K, V, A>>;
  g.stores.push_back({kind, op->store, from->group(), retention, cached});
  auto out =
      std::make_shared<node<windowed<K>, std::optional<A>>>(from->topology_ptr(), from->group());
  from->add_child([out, op](task_context& t) {
    auto inst = std::make_shared<Instance<K, V, A>>(t, *op, out->instantiate(t));
    t.schedule(std::chrono::milliseconds(1), punctuation_type::stream_time,
               [inst](int64_t now) { inst->on_time(now); });
    return [inst](record<K, V>&& r) { inst->process(std::move(r)); };
  });
  auto wks =
      std::make_shared<const serde<windowed<K>>>(serdes::windowed_key(*op->ks, key_window_size));
  return access::make<table<windowed<K>, A>>(out, wks, op->as, op->store);
}

}  // namespace detail

// Common front of the three windowed-stream kinds: emit mode, count,
// reduce, aggregate.
template <class K, class V, class Derived>
class windowed_stream_base {
 public:
  // Every update (default) or only the final value when the window closes.
  Derived emit(runnel::stream::emit mode) const {
    Derived d = static_cast<const Derived&>(*this);
    d.mode_ = mode;
    return d;
  }

  table<windowed<K>, int64_t> count(materialized<int64_t> m = {}) const {
    return derived().template make<int64_t>(
        [](const K&, const V&, std::optional<int64_t> n) { return n.value_or(0) + 1; },
        [](const K&, int64_t a, int64_t b) { return a + b; }, std::move(m));
  }

  // Combines the values of a key in each window: fn(aggregate, value) ->
  // aggregate; the first value is the start (and, for sessions, merges two
  // sessions' aggregates).
  template <class F>
  table<windowed<K>, V> reduce(F fn, materialized<V> m = {}) const {
    if (!m.value && detail::access::value_serde(s_)) m.value = *detail::access::value_serde(s_);
    return derived().template make<V>(
        [fn](const K&, const V& v, std::optional<V> agg) mutable { return agg ? fn(*agg, v) : v; },
        [fn](const K&, V a, V b) mutable { return fn(a, b); }, std::move(m));
  }

 protected:
  explicit windowed_stream_base(stream<K, V> s) : s_(std::move(s)) {}

  const Derived& derived() const { return static_cast<const Derived&>(*this); }

  template <class A>
  std::shared_ptr<detail::window_op<K, V, A>> base_op(
      std::function<A(const K&, const V&, std::optional<A>)> step,
      std::function<A(const K&, A, A)> merge, materialized<A>& m, int64_t size, int64_t advance,
      int64_t grace) const {
    auto& g = detail::access::node(s_)->topology();
    auto op = std::make_shared<detail::window_op<K, V, A>>();
    op->name = g.name("window");
    op->store = m.store_name.empty() ? op->name + "-store" : m.store_name;
    op->size = size;
    op->advance = advance;
    op->grace = grace;
    op->mode = mode_;
    op->ks = detail::serde_or_default<K>(detail::access::key_serde(s_));
    op->as = detail::serde_or_default<A>(detail::share(std::move(m.value)));
    op->step = std::move(step);
    op->merge = std::move(merge);
    return op;
  }
  // The step of aggregate(init, add): add(k, v, aggregate or init()).
  template <class A, class I, class F>
  static std::function<A(const K&, const V&, std::optional<A>)> fold(I init, F add) {
    return [init, add](const K& k, const V& v, std::optional<A> a) mutable -> A {
      return add(k, v, a ? std::move(*a) : init());
    };
  }

  stream<K, V> s_;
  runnel::stream::emit mode_ = runnel::stream::emit::on_update;
};

// Tumbling and hopping windows: (key, window start) -> aggregate.
template <class K, class V>
class time_windowed_stream : public windowed_stream_base<K, V, time_windowed_stream<K, V>> {
 public:
  // Folds the values of a key in each window: init() starts, add(k, v,
  // aggregate) returns the next; the aggregate's type is what init() returns.
  template <class I, class F, class A = std::decay_t<std::invoke_result_t<I&>>>
  table<windowed<K>, A> aggregate(I init, F add,
                                  materialized<std::type_identity_t<A>> m = {}) const {
    return make<A>(this->template fold<A>(std::move(init), std::move(add)), {}, std::move(m));
  }

 private:
  friend class grouped_stream<K, V>;
  friend class windowed_stream_base<K, V, time_windowed_stream>;

  time_windowed_stream(stream<K, V> s, int64_t size, int64_t advance, int64_t grace)
      : windowed_stream_base<K, V, time_windowed_stream>(std::move(s)),
        size_(size),
        advance_(advance),
        grace_(grace) {}

  template <class A>
  table<windowed<K>, A> make(std::function<A(const K&, const V&, std::optional<A>)> step,
                             std::function<A(const K&, A, A)> merge, materialized<A> m) const {
    auto op =
        this->template base_op<A>(std::move(step), std::move(merge), m, size_, advance_, grace_);
    if (detail::access::value_serde(this->s_)) op->vs = detail::access::value_serde(this->s_);
    return detail::add_window_aggregation<detail::time_window_instance>(
        this->s_, store_kind::window, size_ + grace_, size_, op);
  }

  int64_t size_, advance_, grace_;
};

// Sliding windows: the records themselves are buffered, (key, time) -> value.
template <class K, class V>
class sliding_windowed_stream : public windowed_stream_base<K, V, sliding_windowed_stream<K, V>> {
 public:
  // As time_windowed_stream::aggregate, over each record's window.
  template <class I, class F, class A = std::decay_t<std::invoke_result_t<I&>>>
  table<windowed<K>, A> aggregate(I init, F add,
                                  materialized<std::type_identity_t<A>> m = {}) const {
    return make<A>(this->template fold<A>(std::move(init), std::move(add)), {}, std::move(m));
  }

 private:
  friend class grouped_stream<K, V>;
  friend class windowed_stream_base<K, V, sliding_windowed_stream>;

  sliding_windowed_stream(stream<K, V> s, int64_t difference, int64_t grace)
      : windowed_stream_base<K, V, sliding_windowed_stream>(std::move(s)),
        difference_(difference),
        grace_(grace) {}

  template <class A>
  table<windowed<K>, A> make(std::function<A(const K&, const V&, std::optional<A>)> step,
                             std::function<A(const K&, A, A)> merge, materialized<A> m) const {
    auto op =
        this->template base_op<A>(std::move(step), std::move(merge), m, difference_, 1, grace_);
    op->vs = detail::serde_or_default<V>(detail::access::value_serde(this->s_));
    return detail::add_window_aggregation<detail::sliding_window_instance>(
        this->s_, store_kind::window, 2 * difference_ + grace_ + 1, difference_ + 1, op);
  }

  int64_t difference_, grace_;
};

// Session windows: (key, start, end) -> aggregate.
template <class K, class V>
class session_windowed_stream : public windowed_stream_base<K, V, session_windowed_stream<K, V>> {
 public:
  // As time_windowed_stream::aggregate, plus merge(k, a, b) -> aggregate,
  // which combines two sessions that a record joins into one (Kafka
  // Streams' session merger).
  template <class I, class F, class M, class A = std::decay_t<std::invoke_result_t<I&>>>
  table<windowed<K>, A> aggregate(I init, F add, M merge,
                                  materialized<std::type_identity_t<A>> m = {}) const {
    return make<A>(this->template fold<A>(std::move(init), std::move(add)),
                   std::function<A(const K&, A, A)>(std::move(merge)), std::move(m));
  }

 private:
  friend class grouped_stream<K, V>;
  friend class windowed_stream_base<K, V, session_windowed_stream>;

  session_windowed_stream(stream<K, V> s, int64_t gap, int64_t grace)
      : windowed_stream_base<K, V, session_windowed_stream>(std::move(s)),
        gap_(gap),
        grace_(grace) {}

  template <class A>
  table<windowed<K>, A> make(std::function<A(const K&, const V&, std::optional<A>)> step,
                             std::function<A(const K&, A, A)> merge, materialized<A> m) const {
    auto op = this->template base_op<A>(std::move(step), std::move(merge), m, gap_, 1, grace_);
    if (detail::access::value_serde(this->s_)) op->vs = detail::access::value_serde(this->s_);
    // The key serde's window size is unknown for sessions; readers of the
    // output get start only (Kafka Streams' session keys carry both).
    return detail::add_window_aggregation<detail::session_window_instance>(
        this->s_, store_kind::session, gap_ + grace_, 0, op);
  }

  int64_t gap_, grace_;
};

template <class K, class V>
time_windowed_stream<K, V> grouped_stream<K, V>::windowed_by(const tumbling_window& w) const {
  return {s_, w.size.count(), w.size.count(), w.grace_period.count()};
}
template <class K, class V>
time_windowed_stream<K, V> grouped_stream<K, V>::windowed_by(const hopping_window& w) const {
  return {s_, w.size.count(), w.advance.count(), w.grace_period.count()};
}
template <class K, class V>
sliding_windowed_stream<K, V> grouped_stream<K, V>::windowed_by(const sliding_window& w) const {
  return {s_, w.difference.count(), w.grace_period.count()};
}
template <class K, class V>
session_windowed_stream<K, V> grouped_stream<K, V>::windowed_by(const session_window& w) const {
  return {s_, w.gap.count(), w.grace_period.count()};
}

}  // namespace runnel::stream
