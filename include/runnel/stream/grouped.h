// grouped_stream<K, V>: a stream grouped by key, ready to aggregate into a
// table — over all time (count, reduce, aggregate) or per event-time window
// (windowed_by). Aggregates live in RocksDB stores backed by changelog
// topics, so a restarted or moved task continues from them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
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
  // The number of records per key.
  table<K, int64_t> count(materialized<int64_t> m = {}) const {
    return aggregate([] { return int64_t{0}; }, [](const K&, const V&, int64_t n) { return n + 1; },
                     std::move(m));
  }

  // Combines the values of a key: fn(aggregate, value) -> aggregate; the
  // first value is the start.
  template <class F>
  table<K, V> reduce(F fn, materialized<V> m = {}) const {
    if (!m.value && detail::access::value_serde(s_)) m.value = *detail::access::value_serde(s_);
    return aggregate_impl<V>(
        [fn](const K&, const V& v, std::optional<V> agg) mutable { return agg ? fn(*agg, v) : v; },
        std::move(m));
  }

  // Folds the values of a key into an aggregate: init() starts it,
  // add(k, v, aggregate) returns the next one. The aggregate's type is what
  // init() returns.
  template <class I, class F, class A = std::decay_t<std::invoke_result_t<I&>>>
  table<K, A> aggregate(I init, F add, materialized<std::type_identity_t<A>> m = {}) const {
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

 private:
  friend struct detail::access;
  friend class stream<K, V>;

  explicit grouped_stream(stream<K, V> s) : s_(std::move(s)) {}

  template <class A, class F>
  table<K, A> aggregate_impl(F step, materialized<A> m) const {
    const auto& from = detail::access::node(s_);
    auto& g = from->topology();
    std::string store = m.store_name.empty() ? g.name("aggregate") + "-store" : m.store_name;
    g.stores.push_back({store_kind::key_value, store, from->group(), 0});
    auto ks = detail::serde_or_default<K>(detail::access::key_serde(s_));
    auto as = detail::serde_or_default<A>(detail::share(std::move(m.value)));
    auto out = detail::derive<K, std::optional<A>>(from, false);
    from->add_child([out, ks, as, store, step](detail::task_context& t) {
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
    return detail::access::make<table<K, A>>(out, ks, as, store);
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
