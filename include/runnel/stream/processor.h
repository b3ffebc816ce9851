// The low-level processor API under the DSL (Kafka Streams' Processor API):
// a user class that sees each record, keeps state in named stores, forwards
// any number of records, and schedules punctuations on stream or wall-clock
// time.
//
//   struct dedup : processor<std::string, Event> {   // in and out: <std::string, Event>
//     processor_context<std::string, Event>* ctx = nullptr;
//     std::optional<key_value_store<std::string, int64_t>> seen;
//     void init(processor_context<std::string, Event>& c) override {
//       ctx = &c;
//       seen.emplace(c.kv_store("seen"));              // serdes::of<K>(), serdes::of<V>()
//       c.schedule(std::chrono::minutes(1), punctuation_type::wall_clock, [](int64_t) {...});
//     }
//     void process(record<std::string, Event>&& r) override {
//       auto last = seen->get(r.key);                  // a result: the entry may be unreadable
//       if (!last) throw std::runtime_error(last.error().message);
//       if (!last.value()) { seen->put(r.key, r.timestamp); ctx->forward(std::move(r)); }
//     }
//   };
//   b.add_store(store_kind::key_value, "seen");
//   auto fresh = s.process([] { return std::make_unique<dedup>(); }, {"seen"});
//   // fresh: a stream<std::string, Event>, the processor's output types
//
// One processor instance per task; init() runs when the task starts, after
// its stores are restored. An exception thrown by process() or a
// punctuation is a bad record: the app's error policy decides (app.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "runnel/client/error.h"
#include "runnel/stream/stream.h"

namespace runnel::stream {

// A typed view of a key-value store: keys and values through serdes. A read
// tells "no such key" (nullopt) from "the stored bytes are not a K or V"
// (an error, code std::errc::illegal_byte_sequence): a store written with
// other serdes, or corrupt, never reads as empty.
template <class K, class V>
class key_value_store {
 public:
  key_value_store(kv_bytes_store& s, serde<K> ks, serde<V> vs)
      : s_(&s), ks_(std::move(ks)), vs_(std::move(vs)) {}
  // With the natural serdes of K and V (serdes::of).
  explicit key_value_store(kv_bytes_store& s)
      : key_value_store(s, serdes::of<K>(), serdes::of<V>()) {}

  // The value of `k`; nullopt if there is none.
  client::result<std::optional<V>> get(const K& k) {
    auto kb = key(k);
    auto b = s_->get(kb);
    if (!b) return std::optional<V>();
    std::string why;
    auto v = vs_.deserialize(*b, &why);
    if (!v) return unreadable("value", kb, why);
    return std::optional<V>(std::move(*v));
  }
  void put(const K& k, const V& v) {
    auto kb = key(k);
    vb_.clear();
    vs_.serialize(v, vb_);
    s_->put(kb, vb_);
  }
  void remove(const K& k) { s_->remove(key(k)); }
  // Every entry in key-byte order; fn(k, v) returns false to stop. Stops
  // with an error at the first entry that cannot be read.
  client::result<void> for_each(const std::function<bool(const K&, const V&)>& fn) {
    std::optional<client::error> failed;
    s_->range({}, {}, [&](std::string_view kb, std::string_view vb) {
      std::string why;
      auto k = ks_.deserialize(kb, &why);
      if (!k) {
        failed = unreadable("key", kb, why);
        return false;
      }
      auto v = vs_.deserialize(vb, &why);
      if (!v) {
        failed = unreadable("value", kb, why);
        return false;
      }
      return fn(*k, *v);
    });
    if (failed) return *failed;
    return outcome::success();
  }

 private:
  std::string key(const K& k) {
    std::string b;
    ks_.serialize(k, b);
    return b;
  }
  client::error unreadable(std::string_view what, std::string_view key_bytes,
                           const std::string& why) const {
    return client::error{std::make_error_code(std::errc::illegal_byte_sequence),
                         "state store entry (key of " + std::to_string(key_bytes.size()) +
                             " bytes): cannot read its " + std::string(what) + " as " +
                             (what == "key" ? ks_.name : vs_.name) + (why.empty() ? "" : ": ") +
                             why};
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

  // The stores named in stream::process, by name.
  kv_bytes_store& kv_store(const std::string& name) { return t_.kv_store(name); }
  window_bytes_store& window_store(const std::string& name) { return t_.window_store(name); }
  session_bytes_store& session_store(const std::string& name) { return t_.session_store(name); }

 private:
  detail::task_context& t_;
  typename detail::node<K, V>::sink down_;
};

// A processor taking record<KIn, VIn> and forwarding record<KOut, VOut>.
template <class KIn, class VIn, class KOut = KIn, class VOut = VIn>
class processor {
 public:
  using key_in_type = KIn;
  using value_in_type = VIn;
  using key_out_type = KOut;
  using value_out_type = VOut;

  virtual ~processor() = default;
  virtual void init(processor_context<KOut, VOut>& context) { (void)context; }
  virtual void process(record<KIn, VIn>&& r) = 0;
};

template <class K, class V>
template <class S>
auto stream<K, V>::process(S supplier, std::vector<std::string> store_names) const {
  using made = std::invoke_result_t<S&>;  // std::unique_ptr<P>
  using P = typename made::element_type;
  using KOut = typename P::key_out_type;
  using VOut = typename P::value_out_type;
  static_assert(std::is_base_of_v<processor<K, V, KOut, VOut>, P>,
                "process(): the supplier must return a std::unique_ptr to a processor of this "
                "stream's key and value types");
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
  auto out = detail::derive<KOut, VOut>(node_, true);
  node_->add_child([supplier, out](detail::task_context& t) mutable {
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
