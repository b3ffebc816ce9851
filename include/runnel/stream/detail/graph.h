// graph: what a builder accumulates — sources, state stores, internal
// topics, and the typed nodes between them — and node<K,V>, one point of the
// graph where records of one type come out.
//
// A node's children are factories: each task instantiates the part of the
// graph its sources reach, once per node (task_context::instance), so every
// task has its own operator state. Sources that feed a common node or store
// (merge, joins, co-partitioned tables) are united into one sub-topology;
// the runtime makes one task per sub-topology and input partition.
//
// Thread-safety: built on one thread, then read-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runnel/stream/detail/task_context.h"
#include "runnel/stream/record.h"

namespace runnel::stream::detail {

// A consumed record before deserialisation.
struct raw_record {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int64_t timestamp = 0;
};
using raw_sink = std::function<void(const raw_record&)>;

struct source_spec {
  std::string topic;      // internal: relative to the application id
  bool internal = false;  // a repartition topic of this app
  int group = 0;          // the union-find set; find() gives the sub-topology
  std::function<raw_sink(task_context&)> instantiate;
};

struct store_spec {
  store_kind kind = store_kind::key_value;
  std::string name;
  int group = 0;
  // Window and session stores: how long entries must be kept, for the
  // changelog topic's retention.ms (kept longer by a day, as Kafka Streams).
  int64_t retention_ms = 0;
  // Put a write-back cache in front (src/stream/window_cache.h): for stores
  // whose entries are read and rewritten by many records in a row, such as
  // tumbling and hopping window aggregates.
  bool cached = false;
};

// A repartition topic: written by one sub-topology, read by another.
struct internal_topic_spec {
  std::string name;  // relative, e.g. "count-0003-repartition"
  int writer_group;  // the sub-topology that writes it
};

class graph {
 public:
  int new_group() {
    parent_.push_back(static_cast<int>(parent_.size()));
    return parent_.back();
  }
  int find(int g) const {
    while (parent_[g] != g) g = parent_[g];
    return g;
  }
  int unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
    return std::min(a, b);
  }

  // Names for operators, stores and internal topics: "<what>-<n>", numbered
  // in the order the topology code creates them, so the same program gets
  // the same names (and finds its state again) on every run.
  std::string name(std::string_view what) {
    auto n = std::to_string(++counter_);
    return std::string(what) + "-" + std::string(4 - std::min<size_t>(4, n.size()), '0') + n;
  }

  std::vector<source_spec> sources;
  std::vector<store_spec> stores;
  std::vector<internal_topic_spec> internal_topics;
  std::vector<std::string> sink_topics;

  store_spec* find_store(std::string_view name) {
    for (auto& s : stores)
      if (s.name == name) return &s;
    return nullptr;
  }

 private:
  std::vector<int> parent_;
  int counter_ = 0;
};

// The output of one operator: records of type record<K, V>.
template <class K, class V>
class node {
 public:
  using record_type = record<K, V>;
  using sink = std::function<void(record_type&&)>;
  using factory = std::function<sink(task_context&)>;

  node(std::shared_ptr<graph> g, int group) : graph_(std::move(g)), group_(group) {}

  graph& topology() const { return *graph_; }
  const std::shared_ptr<graph>& topology_ptr() const { return graph_; }
  int group() const { return group_; }
  void join_group(int other) { group_ = graph_->unite(group_, other); }

  // The key was changed upstream (map, select_key, flat_map): grouping or
  // joining by it needs a repartition first.
  bool key_changed = false;

  void add_child(factory f) { children_.push_back(std::move(f)); }

  // This task's instance: one function calling every child in turn (the
  // last one gets the record moved, the others a copy).
  sink instantiate(task_context& t) const {
    auto& slot = t.instance(this);
    if (slot) return *static_cast<sink*>(slot.get());
    auto fan = std::make_shared<sink>();
    slot = fan;
    std::vector<sink> kids;
    for (const auto& f : children_) kids.push_back(f(t));
    if (kids.empty()) {
      *fan = [](record_type&&) {};
    } else if (kids.size() == 1) {
      *fan = std::move(kids.front());
    } else {
      *fan = [kids = std::move(kids)](record_type&& r) {
        for (size_t i = 0; i + 1 < kids.size(); ++i) {
          record_type copy = r;
          kids[i](std::move(copy));
        }
        kids.back()(std::move(r));
      };
    }
    return *fan;
  }

 private:
  std::shared_ptr<graph> graph_;
  int group_;
  std::vector<factory> children_;
};

// A new node after `from`, in its sub-topology; `key_changes`: the operator
// between them changes the key (so grouping or joining downstream
// repartitions first).
template <class K2, class V2, class K, class V>
std::shared_ptr<node<K2, V2>> derive(const std::shared_ptr<node<K, V>>& from, bool key_changes) {
  auto out = std::make_shared<node<K2, V2>>(from->topology_ptr(), from->group());
  out->key_changed = from->key_changed || key_changes;
  return out;
}

}  // namespace runnel::stream::detail
