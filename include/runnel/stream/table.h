// table<K, V>: the latest value per key (Kafka Streams' KTable). Internally
// a stream of changes record<K, std::optional<V>>, where nullopt deletes the
// key. A table read from a topic or made by an aggregation is materialised
// in a key-value store (RocksDB, with a changelog topic); joins look keys
// up there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runnel/stream/stream.h"

namespace runnel::stream {

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class K, class V>
class table {
 public:
  using key_type = K;
  using value_type = V;

  // Keeps entries for which pred(k, v) holds; an entry that stops passing
  // is deleted downstream.
  template <class F>
  table filter(F pred) const {
    auto out = derived<V>();
    node_->add_child([pred, out](detail::task_context& t) {
      return [pred, down = out->instantiate(t)](record<K, std::optional<V>>&& r) mutable {
        if (r.value && !detail::call_kv(pred, r.key, *r.value)) r.value.reset();
        down(std::move(r));
      };
    });
    return {out, key_serde_, value_serde_, {}};
  }

  // A new value per entry: fn(k, v) or fn(v); deletes stay deletes.
  template <class F, class V2 = detail::kv_result_t<F, K, V>>
  table<K, V2> map_values(F fn) const {
    auto out = derived<V2>();
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, std::optional<V>>&& r) mutable {
        std::optional<V2> v;
        if (r.value) v = detail::call_kv(fn, r.key, *r.value);
        down(record<K, std::optional<V2>>{std::move(r.key), std::move(v), r.timestamp});
      };
    });
    std::shared_ptr<const serde<V2>> vs;
    if constexpr (std::is_same_v<V, V2>) vs = value_serde_;
    return table<K, V2>(out, key_serde_, vs, {});
  }

  // The updates as a stream (deletes are not forwarded: see
  // to_change_stream).
  stream<K, V> to_stream() const {
    auto out = std::make_shared<detail::node<K, V>>(node_->topology_ptr(), node_->group());
    node_->add_child([out](detail::task_context& t) {
      return [down = out->instantiate(t)](record<K, std::optional<V>>&& r) mutable {
        if (r.value) down(record<K, V>{std::move(r.key), std::move(*r.value), r.timestamp});
      };
    });
    return detail::access::make<stream<K, V>>(out, key_serde_, value_serde_);
  }

  // Every change, deletes as nullopt; to() writes those as tombstones.
  stream<K, std::optional<V>> to_change_stream() const {
    std::shared_ptr<const serde<std::optional<V>>> vs;
    if (value_serde_)
      vs = std::make_shared<const serde<std::optional<V>>>(serdes::nullable(*value_serde_));
    return detail::access::make<stream<K, std::optional<V>>>(node_, key_serde_, vs);
  }

  // This table kept in a key-value store, so that streams can join it. Tables
  // from topics and aggregations already are.
  table materialized(std::string store_name = {}) const {
    if (!store_.empty()) return *this;
    auto& g = node_->topology();
    if (store_name.empty()) store_name = g.name("table") + "-store";
    g.stores.push_back({store_kind::key_value, store_name, node_->group(), 0});
    auto out = derived<V>();
    auto ks = detail::serde_or_default<K>(key_serde_);
    auto vs = detail::serde_or_default<V>(value_serde_);
    node_->add_child([out, ks, vs, store_name](detail::task_context& t) {
      auto& st = t.kv_store(store_name);
      return [&st, ks, vs, down = out->instantiate(t), kb = std::string(),
              vb = std::string()](record<K, std::optional<V>>&& r) mutable {
        kb.clear();
        ks->serialize(r.key, kb);
        if (r.value) {
          vb.clear();
          vs->serialize(*r.value, vb);
          st.put(kb, vb);
        } else {
          st.remove(kb);
        }
        down(std::move(r));
      };
    });
    return {out, ks, vs, store_name};
  }

 private:
  friend struct detail::access;
  template <class, class>
  friend class table;
  // Internally a table is its stream of changes; nullopt deletes the key.
  using change_node = detail::node<K, std::optional<V>>;

  table(std::shared_ptr<change_node> n, std::shared_ptr<const serde<K>> ks,
        std::shared_ptr<const serde<V>> vs, std::string store)
      : node_(std::move(n)),
        key_serde_(std::move(ks)),
        value_serde_(std::move(vs)),
        store_(std::move(store)) {}

  template <class V2>
  std::shared_ptr<detail::node<K, std::optional<V2>>> derived() const {
    return std::make_shared<detail::node<K, std::optional<V2>>>(node_->topology_ptr(),
                                                                node_->group());
  }

  std::shared_ptr<change_node> node_;
  std::shared_ptr<const serde<K>> key_serde_;
  std::shared_ptr<const serde<V>> value_serde_;
  std::string store_;  // the key-value store holding it; empty if not materialised
};

// ---- stream–table joins (declared in stream.h) ----

namespace detail {

template <bool left, class F, class V, class VT>
struct join_result {
  using type = std::decay_t<std::invoke_result_t<F&, const V&, const VT&>>;
};
template <class F, class V, class VT>
struct join_result<true, F, V, VT> {
  using type = std::decay_t<std::invoke_result_t<F&, const V&, const std::optional<VT>&>>;
};

template <class K, class V, class VT, bool left, class F>
auto stream_table_join(const stream<K, V>& in, const table<K, VT>& tbl_in, F joiner) {
  using R = typename join_result<left, F, V, VT>::type;
  // A re-keyed stream must first be partitioned like the table's topic.
  stream<K, V> s = access::node(in)->key_changed ? in.repartition() : in;
  auto tbl = tbl_in.materialized();
  const auto& from = access::node(s);
  auto out = derive<K, R>(from, false);
  out->join_group(access::node(tbl)->group());
  from->join_group(out->group());
  auto ks = serde_or_default<K>(access::key_serde(s));
  auto vts = access::value_serde(tbl);
  std::string store = access::store(tbl);
  from->add_child([out, ks, vts, store, joiner](task_context& t) {
    auto& st = t.kv_store(store);
    return [&t, &st, ks, vts, joiner, down = out->instantiate(t),
            kb = std::string()](record<K, V>&& r) mutable {
      kb.clear();
      ks->serialize(r.key, kb);
      auto bytes = st.get(kb);
      std::optional<VT> tv;
      if (bytes) {
        std::string why;
        tv = vts->deserialize(*bytes, &why);
        if (!tv) return t.bad_record("table value: " + why, kb, *bytes, r.timestamp);
      }
      if constexpr (left) {
        down(record<K, R>{std::move(r.key), joiner(r.value, tv), r.timestamp});
      } else {
        if (tv) down(record<K, R>{std::move(r.key), joiner(r.value, *tv), r.timestamp});
      }
    };
  });
  return access::make<stream<K, R>>(out, access::key_serde(s), nullptr);
}

}  // namespace detail

template <class K, class V>
template <class VT, class F>
auto stream<K, V>::join(const table<K, VT>& t, F joiner) const {
  return detail::stream_table_join<K, V, VT, false>(*this, t, joiner);
}

template <class K, class V>
template <class VT, class F>
auto stream<K, V>::left_join(const table<K, VT>& t, F joiner) const {
  return detail::stream_table_join<K, V, VT, true>(*this, t, joiner);
}

}  // namespace runnel::stream
