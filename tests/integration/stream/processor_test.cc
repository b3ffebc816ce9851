// The processor API against a real broker: a processor that counts per key
// in its own key-value store and forwards each count, with a stream-time
// punctuation (driven by record timestamps only) and a wall-clock one
// (firing while no record arrives).
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

class processors : public broker_fixture {};

class counter : public processor<std::string, std::string> {
 public:
  void init(processor_context<std::string, std::string>& c) override {
    ctx_ = &c;
    counts_.emplace(c.kv_store("proc-counts"));
    c.schedule(std::chrono::seconds(10), punctuation_type::stream_time, [this](int64_t t) {
      ctx_->forward({"stream-tick", std::to_string(t), t});
    });
    c.schedule(std::chrono::milliseconds(100), punctuation_type::wall_clock, [this](int64_t t) {
      if (wall_ticks_++ < 3) ctx_->forward({"wall-tick", std::to_string(t), t});
    });
  }
  void process(record<std::string, std::string>&& r) override {
    auto old = counts_->get(r.key);
    if (!old) throw std::runtime_error(old.error().message);
    int64_t n = old.value().value_or(0) + 1;
    counts_->put(r.key, n);
    ctx_->forward({r.key, std::to_string(n), r.timestamp});
  }

 private:
  processor_context<std::string, std::string>* ctx_ = nullptr;
  std::optional<key_value_store<std::string, int64_t>> counts_;
  int wall_ticks_ = 0;
};

TEST_F(processors, store_and_both_punctuation_kinds) {
  std::string in = unique("in"), out = unique("out"), id = unique("app");
  create_topic(in);
  create_topic(out);
  const int64_t t0 = base_time();
  builder b;
  b.add_store(store_kind::key_value, "proc-counts");
  stream<std::string, std::string> counted = b.stream<std::string, std::string>(in).process(
      [] { return std::make_unique<counter>(); }, {"proc-counts"});
  counted.to(out);
  running_app app(b.build(), config(id));
  std::vector<input> inputs;
  for (int i = 0; i < 30; ++i) inputs.push_back({in, i % 2 ? "b" : "a", "v", t0 + i * 1000, 0});
  // Stream time jumps past t0 + 30 s: one tick, and the schedule stays on
  // t0 + k * 10 s, so t0 + 40.2 s ticks again.
  inputs.push_back({in, "a", "v", t0 + 35'500, 0});
  inputs.push_back({in, "b", "v", t0 + 40'200, 0});
  produce(inputs);
  // 32 counts, stream ticks at t0 + 10 s, t0 + 20 s, then at the records
  // that pass t0 + 30 s and t0 + 40 s; three wall-clock ticks.
  auto got = read_until(out, 39);
  ASSERT_EQ(got.size(), 39u);
  std::map<std::string, std::vector<std::string>> seen;
  for (const auto& o : got) seen[o.key.value_or("")].push_back(o.value.value_or(""));
  std::vector<std::string> one_to_16;
  for (int i = 1; i <= 16; ++i) one_to_16.push_back(std::to_string(i));
  EXPECT_EQ(seen["a"], one_to_16);
  EXPECT_EQ(seen["b"], one_to_16);
  EXPECT_EQ(seen["stream-tick"],
            (std::vector<std::string>{std::to_string(t0 + 10'000), std::to_string(t0 + 20'000),
                                      std::to_string(t0 + 35'500), std::to_string(t0 + 40'200)}));
  EXPECT_EQ(seen["wall-tick"].size(), 3u);
  ASSERT_TRUE(app.stop());
  // The metrics still tell what the stopped app did.
  uint64_t in_count = 0;
  for (const auto& t : app.get().metrics().tasks) in_count += t.records_in;
  EXPECT_EQ(in_count, 32u);
  // Stream time does not move without records: no tick came while the wall
  // clock ran on.
  EXPECT_EQ(read_all(out).size(), 39u);
}

}  // namespace
}  // namespace runnel::stream::it
