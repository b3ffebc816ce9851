// grouped_stream<K, V>: a stream grouped by key, ready to aggregate into a
// table — over all time (count, reduce, aggregate) or per event-time window
// (windowed_by). Aggregates live in RocksDB stores backed by changelog
// topics, so a restarted or moved task continues from them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runnel/stream/stream.h"
#include "runnel/stream/table.h"
#include "runnel/stream/windows.h"

namespace runnel::stream {

template <class K, class V>
class time_windowed_stream;
template <class K, class V>
class sliding_windowed_stream;
template <class K, class V>
class session_windowed_stream;

// How an aggregation names and encodes its store. Unset: generated name,
// serdes::of<A>().
template <class A>
struct materialized {
  std::string store_name;
  std::optional<serde<A>> value;
};

template <class K, class V>
class grouped_stream {
 public:
  explicit grouped_stream(stream<K, V> s) : s_(std::move(s)) {}

  // The number of records per key.
  table<K, int64_t> count(materialized<int64_t> m = {}) const {
    return aggregate<int64_t>([] { return int64_t{0}; },
                              [](const K&, const V&, int64_t n) { return n + 1; }, std::move(m));
  }

  // Combines the values of a key: fn(aggregate, value) -> aggregate; the
  // first value is the start.
  template <class F>
  table<K, V> reduce(F fn, materialized<V> m = {}) const {
    if (!m.value && s_.value_serde()) m.value = *s_.value_serde();
    return aggregate_impl<V>(
        [fn](const K&, const V& v, std::optional<V> agg) mutable { return agg ? fn(*agg, v) : v; },
        std::move(m));
  }

  // Folds the values of a key into an A: init() starts, add(k, v, a) -> a.
  template <class A, class I, class F>
  table<K, A> aggregate(I init, F add, materialized<A> m = {}) const {
    return aggregate_impl<A>(
        [init, add](const K& k, const V& v, std::optional<A> agg) mutable {
          return add(k, v, agg ? std::move(*agg) : init());
        },
        std::move(m));
  }

  time_windowed_stream<K, V> windowed_by(const tumbling_window& w) const;
  time_windowed_stream<K, V> windowed_by(const hopping_window& w) const;
  sliding_windowed_stream<K, V> windowed_by(const sliding_window& w) const;
  session_windowed_stream<K, V> windowed_by(const session_window& w) const;

  const stream<K, V>& source() const { return s_; }

 private:
  template <class A, class F>
  table<K, A> aggregate_impl(F step, materialized<A> m) const {
    auto& g = s_.node_ptr()->topology();
    std::string store = m.store_name.empty() ? g.name("aggregate") + "-store" : m.store_name;
    g.stores.push_back({detail::store_kind::kv, store, s_.node_ptr()->group(), 0});
    auto ks = detail::serde_or_default<K>(s_.key_serde());
    auto as = detail::serde_or_default<A>(detail::share(std::move(m.value)));
    auto out = std::make_shared<detail::node<K, std::optional<A>>>(s_.node_ptr()->topology_ptr(),
                                                                   s_.node_ptr()->group());
    s_.node_ptr()->add_child([out, ks, as, store, step](detail::task_context& t) {
      auto& st = t.kv_store(store);
      return [&t, &st, ks, as, step, down = out->instantiate(t), kb = std::string(),
              vb = std::string()](record<K, V>&& r) mutable {
        kb.clear();
        ks->serialize(r.key, kb);
        std::optional<A> agg;
        if (auto old = st.get(kb)) {
          std::string why;
          agg = as->deserialize(*old, &why);
          if (!agg) return t.bad_record("stored aggregate: " + why, kb, *old, r.timestamp);
        }
        A next = step(r.key, r.value, std::move(agg));
        vb.clear();
        as->serialize(next, vb);
        st.put(kb, vb);
        down(record<K, std::optional<A>>{std::move(r.key), std::move(next), r.timestamp});
      };
    });
    return table<K, A>(out, ks, as, store);
  }

  stream<K, V> s_;
};

template <class K, class V>
grouped_stream<K, V> stream<K, V>::group_by_key(produced<K, V> p) const {
  if (node_->key_changed) return grouped_stream<K, V>(repartition(std::move(p)));
  auto ks = p.key ? detail::share(std::move(p.key)) : key_serde_;
  auto vs = p.value ? detail::share(std::move(p.value)) : value_serde_;
  return grouped_stream<K, V>(stream<K, V>(node_, ks, vs));
}

}  // namespace runnel::stream
