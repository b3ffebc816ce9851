// stream<K, V>: an unbounded sequence of keyed records — the DSL's main
// type (Kafka Streams' KStream). Operators return new streams; nothing runs
// until the built topology is given to an app.
//
//   b.stream<std::string, PageView>("pageviews")
//    .filter([](const auto& user, const PageView& v) { return v.page != "/health"; })
//    .map_values([](const PageView& v) { return v.page; })
//    .to("pages");
//
// Lambdas take (const K&, const V&) or, for the *_values operators, just
// (const V&). Operators that change the key mark the stream: grouping or
// joining it afterwards goes through an internal repartition topic, so each
// key lands in one task again.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runnel/stream/detail/graph.h"
#include "runnel/stream/detail/serde_default.h"
#include "runnel/stream/record.h"
#include "runnel/stream/serde.h"

namespace runnel::stream {

template <class K, class V>
class grouped_stream;
template <class KIn, class VIn, class KOut, class VOut>
class processor;
template <class K, class V>
class table;
template <class K, class V>
class stream;
template <class K, class V>
class branched_stream;
struct join_window;

// Serdes for an operator that writes (to, repartition, group_by); unset ones
// come from the stream or serdes::of<T>().
template <class K, class V>
struct produced {
  std::optional<serde<K>> key;
  std::optional<serde<V>> value;
};

namespace detail {

// How the library's operators (the templates in these headers) reach the
// insides of streams, tables and grouped streams — their graph node and
// serdes — which are not part of the API. Every DSL class befriends it.
struct access {
  template <class S>
  static const auto& node(const S& s) {
    return s.node_;
  }
  template <class S>
  static const auto& key_serde(const S& s) {
    return s.key_serde_;
  }
  template <class S>
  static const auto& value_serde(const S& s) {
    return s.value_serde_;
  }
  // The key-value store a table is kept in (empty: not materialised).
  template <class S>
  static const std::string& store(const S& s) {
    return s.store_;
  }
  // A built topology's graph, for the runtime.
  template <class T>
  static const graph& graph_of(const T& topology) {
    return topology.graph();
  }
  // Constructs S through its private constructor.
  template <class S, class... Args>
  static S make(Args&&... args) {
    return S(std::forward<Args>(args)...);
  }
};

// The stream read from a topic (builder::stream, repartition): a new
// source in a new sub-topology.
template <class K, class V>
stream<K, V> source(const std::shared_ptr<graph>& g, std::string topic, bool internal,
                    std::shared_ptr<const serde<K>> ks, std::shared_ptr<const serde<V>> vs,
                    std::function<int64_t(const K&, const V&, int64_t)> extractor);

// Calls f(k, v) or f(v), whichever it takes.
template <class F, class K, class V>
decltype(auto) call_kv(F& f, const K& k, const V& v) {
  if constexpr (std::is_invocable_v<F&, const K&, const V&>)
    return f(k, v);
  else
    return f(v);
}
template <class F, class K, class V>
using kv_result_t = std::decay_t<decltype(call_kv(std::declval<F&>(), std::declval<const K&>(),
                                                  std::declval<const V&>()))>;

// Serialises and produces every record reaching it.
template <class K, class V>
typename node<K, V>::factory sink_factory(std::string topic, bool internal,
                                          std::shared_ptr<const serde<K>> ks,
                                          std::shared_ptr<const serde<V>> vs) {
  return [topic = std::move(topic), internal, ks, vs](task_context& t) {
    return [&t, topic, internal, ks, vs, kb = std::string(),
            vb = std::string()](record<K, V>&& r) mutable {
      kb.clear();
      ks->serialize(r.key, kb);
      std::optional<std::string_view> value;  // null: a tombstone
      if (!(vs->is_null && vs->is_null(r.value))) {
        vb.clear();
        vs->serialize(r.value, vb);
        value = vb;
      }
      t.send(topic, internal, kb, value, r.timestamp);
    };
  };
}

// Turns consumed bytes into typed records for a source node.
template <class K, class V>
raw_sink deserializing_source(task_context& t, typename node<K, V>::sink down,
                              std::shared_ptr<const serde<K>> ks,
                              std::shared_ptr<const serde<V>> vs,
                              std::function<int64_t(const K&, const V&, int64_t)> extractor) {
  return
      [&t, down = std::move(down), ks, vs, extractor = std::move(extractor)](const raw_record& r) {
        std::string why;
        std::optional<K> k;
        if (r.key)
          k = ks->deserialize(*r.key, &why);
        else if (ks->from_null)
          k = ks->from_null();
        else
          why = "a null key is not a " + ks->name;
        if (!k) return t.bad_record("key: " + why, r.key, r.value, r.timestamp);
        std::optional<V> v;
        if (r.value)
          v = vs->deserialize(*r.value, &why);
        else if (vs->from_null)
          v = vs->from_null();
        else
          why = "a null value is not a " + vs->name;
        if (!v) return t.bad_record("value: " + why, r.key, r.value, r.timestamp);
        int64_t ts = extractor ? extractor(*k, *v, r.timestamp) : r.timestamp;
        t.observe_timestamp(ts);
        down(record<K, V>{std::move(*k), std::move(*v), ts});
      };
}

}  // namespace detail

template <class K, class V>
class stream {
 public:
  using key_type = K;
  using value_type = V;

  // Keeps the records for which pred(k, v) (or pred(v)) is true.
  template <class F>
  stream filter(F pred) const {
    auto out = detail::derive<K, V>(node_, false);
    node_->add_child([pred, out](detail::task_context& t) {
      return [pred, down = out->instantiate(t)](record<K, V>&& r) mutable {
        if (detail::call_kv(pred, r.key, r.value)) down(std::move(r));
      };
    });
    return {out, key_serde_, value_serde_};
  }

  // Keeps the records for which pred is false.
  template <class F>
  stream filter_not(F pred) const {
    return filter([pred](const K& k, const V& v) mutable { return !detail::call_kv(pred, k, v); });
  }

  // A new value for each record: fn(k, v) or fn(v). The key stays.
  template <class F, class V2 = detail::kv_result_t<F, K, V>>
  stream<K, V2> map_values(F fn) const {
    auto out = detail::derive<K, V2>(node_, false);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        down(record<K, V2>{std::move(r.key), detail::call_kv(fn, r.key, r.value), r.timestamp});
      };
    });
    return {out, key_serde_, same_or_null<V2>(value_serde_)};
  }

  // A new key and value for each record: fn(k, v) returns key_value<K2, V2>
  // (see kv()). Marks the stream for repartitioning.
  template <class F, class R = std::invoke_result_t<F&, const K&, const V&>>
  auto map(F fn) const {
    using K2 = decltype(std::declval<R>().key);
    using V2 = decltype(std::declval<R>().value);
    auto out = detail::derive<K2, V2>(node_, true);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        auto kv = fn(r.key, r.value);
        down(record<K2, V2>{std::move(kv.key), std::move(kv.value), r.timestamp});
      };
    });
    return stream<K2, V2>(out, same_or_null<K2>(key_serde_), same_or_null<V2>(value_serde_));
  }

  // A new key, computed from the record; the value stays. Marks the stream
  // for repartitioning.
  template <class F, class K2 = detail::kv_result_t<F, K, V>>
  stream<K2, V> select_key(F fn) const {
    auto out = detail::derive<K2, V>(node_, true);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        K2 k = detail::call_kv(fn, r.key, r.value);
        down(record<K2, V>{std::move(k), std::move(r.value), r.timestamp});
      };
    });
    return {out, same_or_null<K2>(key_serde_), value_serde_};
  }

  // Zero or more records for each record: fn(k, v) returns a range of
  // key_value<K2, V2>. Marks the stream for repartitioning.
  template <class F, class R = std::invoke_result_t<F&, const K&, const V&>>
  auto flat_map(F fn) const {
    using item = std::decay_t<decltype(*std::begin(std::declval<R&>()))>;
    using K2 = decltype(std::declval<item>().key);
    using V2 = decltype(std::declval<item>().value);
    auto out = detail::derive<K2, V2>(node_, true);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        for (auto& kv : fn(r.key, r.value))
          down(record<K2, V2>{std::move(kv.key), std::move(kv.value), r.timestamp});
      };
    });
    return stream<K2, V2>(out, same_or_null<K2>(key_serde_), same_or_null<V2>(value_serde_));
  }

  // Zero or more values for each record, keeping the key: fn(k, v) or fn(v)
  // returns a range of V2.
  template <class F, class R = detail::kv_result_t<F, K, V>>
  auto flat_map_values(F fn) const {
    using V2 = std::decay_t<decltype(*std::begin(std::declval<R&>()))>;
    auto out = detail::derive<K, V2>(node_, false);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        for (auto& v : detail::call_kv(fn, r.key, r.value))
          down(record<K, V2>{r.key, std::move(v), r.timestamp});
      };
    });
    return stream<K, V2>(out, key_serde_, same_or_null<V2>(value_serde_));
  }

  // Calls fn(k, v) for each record and passes it on unchanged.
  template <class F>
  stream peek(F fn) const {
    auto out = detail::derive<K, V>(node_, false);
    node_->add_child([fn, out](detail::task_context& t) {
      return [fn, down = out->instantiate(t)](record<K, V>&& r) mutable {
        detail::call_kv(fn, r.key, r.value);
        down(std::move(r));
      };
    });
    return {out, key_serde_, value_serde_};
  }

  // Calls fn(k, v) for each record; the end of this branch.
  template <class F>
  void for_each(F fn) const {
    node_->add_child([fn](detail::task_context&) {
      return [fn](record<K, V>&& r) mutable { detail::call_kv(fn, r.key, r.value); };
    });
  }

  // Both streams' records in one stream (the two inputs must be
  // co-partitioned: they run in the same task).
  stream merge(const stream& other) const {
    auto out = detail::derive<K, V>(node_, other.node_->key_changed);
    out->join_group(other.node_->group());
    auto add = [out](const std::shared_ptr<detail::node<K, V>>& from) {
      from->add_child([out](detail::task_context& t) { return out->instantiate(t); });
    };
    add(node_);
    add(other.node_);
    return {out, key_serde_, value_serde_};
  }

  // Splits the stream into branches (Kafka Streams' split()): each record
  // goes to the first branch whose predicate holds.
  //
  //   auto parts = s.split("kind-")
  //                    .branch([](const Event& e) { return e.level == "error"; }, "errors")
  //                    .branch([](const Event& e) { return e.level == "warn"; },
  //                            [](stream<std::string, Event> w) { w.to("warnings"); })
  //                    .default_branch("rest");
  //   parts["kind-errors"].to("errors");  parts["kind-rest"]...
  //
  // Branches are named `prefix` + their name, or `prefix` + their number
  // counting from 1 (the default branch: `prefix` + "0"), as in Kafka Streams.
  branched_stream<K, V> split(std::string prefix = {}) const {
    return branched_stream<K, V>(*this, std::move(prefix));
  }

  // Writes every record to `topic` (partitioned by the key's murmur2 hash).
  void to(const std::string& topic, produced<K, V> p = {}) const {
    auto ks = pick(detail::share(std::move(p.key)), key_serde_);
    auto vs = pick(detail::share(std::move(p.value)), value_serde_);
    node_->topology().sink_topics.push_back(topic);
    node_->add_child(detail::sink_factory<K, V>(topic, false, ks, vs));
  }

  // Writes the records through an internal topic `<app>-<name>-repartition`
  // and reads them back, partitioned by their current key.
  stream repartition(produced<K, V> p = {}, std::string name = {}) const {
    auto& g = node_->topology();
    if (name.empty()) name = g.name("rekey");
    auto ks = pick(detail::share(std::move(p.key)), key_serde_);
    auto vs = pick(detail::share(std::move(p.value)), value_serde_);
    std::string topic = name + "-repartition";
    g.internal_topics.push_back({topic, node_->group()});
    node_->add_child(detail::sink_factory<K, V>(topic, true, ks, vs));
    return detail::source<K, V>(node_->topology_ptr(), topic, true, ks, vs, {});
  }

  // Groups by the current key, for aggregations (repartitions first if an
  // upstream operator changed the key).
  grouped_stream<K, V> group_by_key(produced<K, V> p = {}) const;
  // Groups by a new key fn(k, v); always repartitions.
  template <class F, class K2 = detail::kv_result_t<F, K, V>>
  grouped_stream<K2, V> group_by(F fn, produced<K2, V> p = {}) const {
    return select_key(fn).group_by_key(std::move(p));
  }

  // Stream–table join: each record looks up its key in the table (its
  // latest value as of now in the task). Inner: records with no table entry
  // are dropped. joiner(v, table_value) -> result.
  template <class VT, class F>
  auto join(const table<K, VT>& t, F joiner) const;
  // Left join: joiner(v, const std::optional<VT>&).
  template <class VT, class F>
  auto left_join(const table<K, VT>& t, F joiner) const;

  // Stream–stream joins within a time window (join.h).
  template <class V2, class F>
  auto join(const stream<K, V2>& other, F joiner, const join_window& w) const;
  template <class V2, class F>
  auto left_join(const stream<K, V2>& other, F joiner, const join_window& w) const;
  template <class V2, class F>
  auto outer_join(const stream<K, V2>& other, F joiner, const join_window& w) const;

  // Runs a user processor (processor.h) on every record: `supplier()`
  // returns a std::unique_ptr to a new processor<K, V, KOut, VOut>, one per
  // task; the result is a stream<KOut, VOut> of what it forwards. Names the
  // stores it uses (builder::add_store).
  template <class S>
  auto process(S supplier, std::vector<std::string> store_names = {}) const;

 private:
  friend struct detail::access;
  template <class, class>
  friend class stream;
  template <class, class>
  friend class branched_stream;

  stream(std::shared_ptr<detail::node<K, V>> n, std::shared_ptr<const serde<K>> ks,
         std::shared_ptr<const serde<V>> vs)
      : node_(std::move(n)), key_serde_(std::move(ks)), value_serde_(std::move(vs)) {}

  template <class T2, class T1>
  static std::shared_ptr<const serde<T2>> same_or_null(const std::shared_ptr<const serde<T1>>& s) {
    if constexpr (std::is_same_v<T1, T2>)
      return s;
    else
      return nullptr;
  }
  template <class T>
  static std::shared_ptr<const serde<T>> pick(std::shared_ptr<const serde<T>> given,
                                              const std::shared_ptr<const serde<T>>& carried) {
    if (given) return given;
    return detail::serde_or_default<T>(carried);
  }

  std::shared_ptr<detail::node<K, V>> node_;
  std::shared_ptr<const serde<K>> key_serde_;
  std::shared_ptr<const serde<V>> value_serde_;
};

// What stream::split() returns: add branches with branch(), then end with
// default_branch() or no_default_branch(), which return the branches' streams
// by name. A record no branch takes goes to the default branch, or is dropped
// without one.
template <class K, class V>
class branched_stream {
 public:
  // Records for which pred(k, v) (or pred(v)) holds and no earlier branch
  // took; the branch is in the returned map as prefix + name (or prefix +
  // its number when `name` is empty).
  template <class F>
  branched_stream& branch(F pred, std::string name = {}) {
    add(std::move(pred), std::move(name));
    return *this;
  }
  // The same, handing the branch's stream to chain(stream) at once (Kafka
  // Streams' Branched.withConsumer); it is not in the returned map.
  template <class F, class C>
  requires std::is_invocable_v<C&, stream<K, V>> branched_stream& branch(F pred, C chain) {
    chain(add(std::move(pred), {}, false));
    return *this;
  }

  // Ends the split; records no branch took go to a last branch, named
  // prefix + name (prefix + "0" if empty).
  std::map<std::string, stream<K, V>> default_branch(std::string name = {}) {
    auto out = detail::derive<K, V>(from_.node_, false);
    state_->fallback = out;
    named_.emplace(prefix_ + (name.empty() ? "0" : name), stream<K, V>(out, ks(), vs()));
    return std::move(named_);
  }
  // Ends the split; records no branch took are dropped.
  std::map<std::string, stream<K, V>> no_default_branch() { return std::move(named_); }

 private:
  friend class stream<K, V>;
  using predicate = std::function<bool(const K&, const V&)>;
  struct split_state {
    std::vector<std::pair<predicate, std::shared_ptr<detail::node<K, V>>>> branches;
    std::shared_ptr<detail::node<K, V>> fallback;
  };

  // Filled while the topology is built, read when tasks instantiate it.
  branched_stream(const stream<K, V>& from, std::string prefix)
      : from_(from), prefix_(std::move(prefix)), state_(std::make_shared<split_state>()) {
    from_.node_->add_child([state = state_](detail::task_context& t) {
      std::vector<std::pair<predicate, typename detail::node<K, V>::sink>> downs;
      for (auto& [pred, out] : state->branches) downs.emplace_back(pred, out->instantiate(t));
      typename detail::node<K, V>::sink fallback;
      if (state->fallback) fallback = state->fallback->instantiate(t);
      return [downs = std::move(downs), fallback = std::move(fallback)](record<K, V>&& r) mutable {
        for (auto& [pred, down] : downs)
          if (pred(r.key, r.value)) return down(std::move(r));
        if (fallback) fallback(std::move(r));
      };
    });
  }

  template <class F>
  stream<K, V> add(F pred, std::string name, bool named = true) {
    auto out = detail::derive<K, V>(from_.node_, false);
    state_->branches.emplace_back(
        [pred](const K& k, const V& v) mutable {
          return static_cast<bool>(detail::call_kv(pred, k, v));
        },
        out);
    stream<K, V> s(out, ks(), vs());
    if (named)
      named_.emplace(prefix_ + (name.empty() ? std::to_string(state_->branches.size()) : name), s);
    return s;
  }
  const std::shared_ptr<const serde<K>>& ks() const { return from_.key_serde_; }
  const std::shared_ptr<const serde<V>>& vs() const { return from_.value_serde_; }

  stream<K, V> from_;
  std::string prefix_;
  std::shared_ptr<split_state> state_;
  std::map<std::string, stream<K, V>> named_;
};

namespace detail {

template <class K, class V>
stream<K, V> source(const std::shared_ptr<graph>& g, std::string topic, bool internal,
                    std::shared_ptr<const serde<K>> ks, std::shared_ptr<const serde<V>> vs,
                    std::function<int64_t(const K&, const V&, int64_t)> extractor) {
  int group = g->new_group();
  auto out = std::make_shared<node<K, V>>(g, group);
  ks = serde_or_default<K>(ks);
  vs = serde_or_default<V>(vs);
  g->sources.push_back(
      source_spec{std::move(topic), internal, group, [out, ks, vs, extractor](task_context& t) {
                    return deserializing_source<K, V>(t, out->instantiate(t), ks, vs, extractor);
                  }});
  return access::make<stream<K, V>>(out, ks, vs);
}

}  // namespace detail

}  // namespace runnel::stream
