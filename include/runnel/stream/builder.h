// builder: where a topology starts — streams and tables read from topics,
// user state stores — and build(), which freezes it for an app.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/stream/detail/graph.h"
#include "runnel/stream/grouped.h"
#include "runnel/stream/stream.h"
#include "runnel/stream/table.h"
#include "runnel/stream/windowed.h"

namespace runnel::stream {

// How a source reads its topic.
template <class K, class V>
struct consumed {
  std::optional<serde<K>> key;
  std::optional<serde<V>> value;
  // Event time from the record: (key, value, record timestamp) -> ms.
  // Unset: the record's timestamp.
  std::function<int64_t(const K&, const V&, int64_t)> timestamp_extractor;
};

// A built topology: what an app runs. Copyable; shares the graph.
class topology {
 public:
  // A readable listing of sub-topologies, sources, stores and sinks.
  std::string describe() const;

 private:
  friend struct detail::access;
  friend class builder;
  explicit topology(std::shared_ptr<detail::graph> g) : graph_(std::move(g)) {}
  const detail::graph& graph() const { return *graph_; }

  std::shared_ptr<detail::graph> graph_;
};

class builder {
 public:
  builder() : graph_(std::make_shared<detail::graph>()) {}

  template <class K, class V>
  runnel::stream::stream<K, V> stream(const std::string& topic, consumed<K, V> c = {}) {
    return detail::source<K, V>(graph_, topic, false, detail::share(std::move(c.key)),
                                detail::share(std::move(c.value)),
                                std::move(c.timestamp_extractor));
  }

  // A table read from a topic: each record upserts its key, a null value
  // deletes it. Kept in the store `store_name` (generated if empty).
  template <class K, class V>
  runnel::stream::table<K, V> table(const std::string& topic, consumed<K, V> c = {},
                                    std::string store_name = {}) {
    int group = graph_->new_group();
    if (store_name.empty()) store_name = graph_->name("table") + "-store";
    graph_->stores.push_back({store_kind::key_value, store_name, group, 0});
    auto out = std::make_shared<detail::node<K, std::optional<V>>>(graph_, group);
    auto ks = detail::serde_or_default<K>(detail::share(std::move(c.key)));
    auto vs = detail::serde_or_default<V>(detail::share(std::move(c.value)));
    graph_->sources.push_back(detail::source_spec{
        topic, false, group, [out, ks, vs, store_name](detail::task_context& t) {
          auto& st = t.kv_store(store_name);
          return detail::raw_sink(
              [&t, &st, ks, vs, down = out->instantiate(t)](const detail::raw_record& r) {
                if (!r.key)
                  return t.bad_record("a table record needs a key", r.key, r.value, r.timestamp);
                std::string why;
                auto k = ks->deserialize(*r.key, &why);
                if (!k) return t.bad_record("key: " + why, r.key, r.value, r.timestamp);
                std::optional<V> v;
                if (r.value) {
                  v = vs->deserialize(*r.value, &why);
                  if (!v) return t.bad_record("value: " + why, r.key, r.value, r.timestamp);
                  st.put(*r.key, *r.value);
                } else {
                  st.remove(*r.key);
                }
                t.observe_timestamp(r.timestamp);
                down(record<K, std::optional<V>>{std::move(*k), std::move(v), r.timestamp});
              });
        }});
    return detail::access::make<runnel::stream::table<K, V>>(out, ks, vs, store_name);
  }

  // A store for user processors (processor.h), in the sub-topology of the
  // processors that name it. Window and session stores: their changelog
  // topics drop entries older than `retention_ms` (plus a day).
  void add_store(store_kind kind, const std::string& name, int64_t retention_ms = 0) {
    graph_->stores.push_back({kind, name, -1, retention_ms});
  }

  topology build() const { return topology(graph_); }

 private:
  std::shared_ptr<detail::graph> graph_;
};

}  // namespace runnel::stream
