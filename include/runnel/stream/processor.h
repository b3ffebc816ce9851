// The low-level processor API under the DSL (Kafka Streams' Processor API):
// a user class that sees each record, keeps state in named stores, forwards
// any number of records, and schedules punctuations on stream or wall-clock
// time.
//
//   struct dedup : processor<std::string, Event, std::string, Event> {
//     std::optional<key_value_store<std::string, int64_t>> seen;
//     void init(processor_context<std::string, Event>& c) override {
//       ctx = &c;
//       seen.emplace(c.kv_store("seen"), serdes::string(), serdes::int64());
//       c.schedule(std::chrono::minutes(1), punctuation_type::wall_clock, [](int64_t) {...});
//     }
//     void process(record<std::string, Event>&& r) override {
//       if (!seen->get(r.key)) { seen->put(r.key, r.timestamp); ctx->forward(std::move(r)); }
//     }
//   };
//   b.add_store(store_kind::kv, "seen");
//   s.process<std::string, Event>([] { return std::make_unique<dedup>(); }, {"seen"});
//
// One processor instance per task; init() runs when the task starts, after
// its stores are restored.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/stream/stream.h"

namespace runnel::stream {

using detail::store_kind;

// A typed view of a key-value store: keys and values through serdes.
template <class K, class V>
class key_value_store {
 public:
  key_value_store(kv_bytes_store& s, serde<K> ks, serde<V> vs)
      : s_(&s), ks_(std::move(ks)), vs_(std::move(vs)) {}

  std::optional<V> get(const K& k) {
    auto b = s_->get(key(k));
    if (!b) return std::nullopt;
    return vs_.deserialize(*b, nullptr);
  }
  void put(const K& k, const V& v) {
    auto kb = key(k);
    vb_.clear();
    vs_.serialize(v, vb_);
    s_->put(kb, vb_);
  }
  void remove(const K& k) { s_->remove(key(k)); }
  // Every entry in key-byte order; fn(k, v) returns false to stop.
  void for_each(const std::function<bool(const K&, const V&)>& fn) {
    s_->range({}, {}, [&](std::string_view kb, std::string_view vb) {
      auto k = ks_.deserialize(kb, nullptr);
      auto v = vs_.deserialize(vb, nullptr);
      return !(k && v) || fn(*k, *v);
    });
  }

 private:
  std::string key(const K& k) {
    std::string b;
    ks_.serialize(k, b);
    return b;
  }
  kv_bytes_store* s_;
  serde<K> ks_;
  serde<V> vs_;
  std::string vb_;
};

template <class K, class V>
class processor_context {
 public:
  processor_context(detail::task_context& t, typename detail::node<K, V>::sink down)
      : t_(t), down_(std::move(down)) {}

  void forward(record<K, V> r) { down_(std::move(r)); }
  int64_t stream_time() const { return t_.stream_time(); }
  void schedule(std::chrono::milliseconds interval, punctuation_type type,
                std::function<void(int64_t)> fn) {
    t_.schedule(interval, type, std::move(fn));
  }
  const record_origin& origin() const { return t_.origin(); }
  int32_t partition() const { return t_.partition(); }
  const std::string& application_id() const { return t_.application_id(); }

  kv_bytes_store& kv_store(const std::string& name) { return t_.kv_store(name); }
  window_bytes_store& window_store(const std::string& name) { return t_.window_store(name); }
  session_bytes_store& session_store(const std::string& name) { return t_.session_store(name); }

 private:
  detail::task_context& t_;
  typename detail::node<K, V>::sink down_;
};

template <class KIn, class VIn, class KOut = KIn, class VOut = VIn>
class processor {
 public:
  virtual ~processor() = default;
  virtual void init(processor_context<KOut, VOut>& context) { (void)context; }
  virtual void process(record<KIn, VIn>&& r) = 0;
};

template <class K, class V>
template <class KOut, class VOut>
stream<KOut, VOut> stream<K, V>::process(
    std::function<std::unique_ptr<processor<K, V, KOut, VOut>>()> supplier,
    std::vector<std::string> store_names) const {
  auto& g = node_->topology();
  for (auto& name : store_names) {
    auto* spec = g.find_store(name);
    if (!spec)
      throw std::invalid_argument("process(): no store named " + name + " (builder::add_store)");
    if (spec->group < 0)
      spec->group = node_->group();
    else
      node_->join_group(spec->group);
  }
  auto out = derived<KOut, VOut>(true);
  node_->add_child([supplier, out](detail::task_context& t) {
    struct instance {
      std::unique_ptr<processor<K, V, KOut, VOut>> p;
      processor_context<KOut, VOut> ctx;
    };
    auto inst = std::make_shared<instance>(instance{supplier(), {t, out->instantiate(t)}});
    inst->p->init(inst->ctx);
    return [inst](record<K, V>&& r) { inst->p->process(std::move(r)); };
  });
  return stream<KOut, VOut>(out, nullptr, nullptr);
}

}  // namespace runnel::stream
