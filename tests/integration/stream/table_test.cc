// Tables against a real broker: a table read from a topic (upsert, null
// deletes), filter and map_values, to_stream against to_change_stream
// (tombstones as Kafka nulls), and grouped count / reduce / aggregate,
// including group_by a new key through the repartition topic.
#include <gtest/gtest.h>

#include <map>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

class tables : public broker_fixture {};

using change = std::pair<std::string, std::optional<std::string>>;

std::vector<change> changes(const std::vector<output>& out) {
  std::vector<change> r;
  for (const auto& o : out) r.emplace_back(o.key.value_or(""), o.value);
  return r;
}

TEST_F(tables, table_from_topic_filter_map_values_and_change_streams) {
  std::string in = unique("in"), updates = unique("updates"), all = unique("changes"),
              id = unique("app");
  for (const auto& t : {in, updates, all}) create_topic(t);
  const int64_t t0 = base_time();
  builder b;
  auto t = b.table<std::string, std::string>(in)
               .filter([](const std::string&, const std::string& v) { return v != "skip"; })
               .map_values([](const std::string& v) { return v + "!"; });
  t.to_stream().to(updates);
  t.to_change_stream().to(all);
  running_app app(b.build(), config(id));
  produce({{in, "a", "1", t0, 0},
           {in, "b", "22", t0 + 1, 0},
           {in, "c", "skip", t0 + 2, 0},
           {in, "a", "44", t0 + 3, 0},
           {in, "b", std::nullopt, t0 + 4, 0}});
  wait_caught_up(id, {in});
  EXPECT_EQ(changes(read_all(updates)),
            (std::vector<change>{{"a", "1!"}, {"b", "22!"}, {"a", "44!"}}));
  EXPECT_EQ(
      changes(read_all(all)),
      (std::vector<change>{
          {"a", "1!"}, {"b", "22!"}, {"c", std::nullopt}, {"a", "44!"}, {"b", std::nullopt}}));
  ASSERT_TRUE(app.stop());
}

// Per key, the values of `topic` in order.
std::map<std::string, std::vector<std::string>> by_key(const std::vector<output>& out,
                                                       bool int64_values) {
  std::map<std::string, std::vector<std::string>> r;
  for (const auto& o : out) {
    std::string v = o.value.value_or("<null>");
    if (int64_values) {
      auto n = serdes::int64().deserialize(v, nullptr);
      v = n ? std::to_string(*n) : "<bad>";
    }
    r[o.key.value_or("")].push_back(v);
  }
  return r;
}

TEST_F(tables, grouped_count_reduce_aggregate_and_group_by_a_new_key) {
  std::string in = unique("in"), counts = unique("counts"), reduced = unique("reduced"),
              summed = unique("summed"), per_word = unique("per-word"), id = unique("app");
  create_topic(in, 2);
  for (const auto& t : {counts, reduced, summed, per_word}) create_topic(t);
  builder b;
  auto s = b.stream<std::string, std::string>(in);
  s.group_by_key().count().to_stream().to(counts);
  s.group_by_key()
      .reduce([](const std::string& a, const std::string& v) { return a + "," + v; })
      .to_stream()
      .to(reduced);
  s.group_by_key()
      .aggregate([] { return int64_t{0}; },
                 [](const std::string&, const std::string& v, int64_t a) {
                   return a + static_cast<int64_t>(v.size());
                 })
      .to_stream()
      .to(summed);
  s.group_by([](const std::string&, const std::string& word) { return word; })
      .count()
      .to_stream()
      .to(per_word);
  running_app app(b.build(), config(id));
  // Users keep to one partition each (the input is partitioned by user).
  const int64_t t0 = base_time();
  std::vector<std::tuple<std::string, std::string, int32_t>> words{
      {"u1", "apple", 0},  {"u2", "banana", 1}, {"u1", "cherry", 0},
      {"u3", "apple", 0},  {"u2", "apple", 1},  {"u1", "fig", 0},
      {"u3", "banana", 0}, {"u2", "kiwi", 1},   {"u1", "apple", 0}};
  std::vector<input> inputs;
  int64_t ts = t0;
  for (const auto& [u, w, p] : words) inputs.push_back({in, u, w, ++ts, p});
  produce(inputs);
  wait_caught_up(id, {in});

  using seqs = std::map<std::string, std::vector<std::string>>;
  EXPECT_EQ(by_key(read_all(counts), true),
            (seqs{{"u1", {"1", "2", "3", "4"}}, {"u2", {"1", "2", "3"}}, {"u3", {"1", "2"}}}));
  EXPECT_EQ(by_key(read_all(reduced), false),
            (seqs{{"u1", {"apple", "apple,cherry", "apple,cherry,fig", "apple,cherry,fig,apple"}},
                  {"u2", {"banana", "banana,apple", "banana,apple,kiwi"}},
                  {"u3", {"apple", "apple,banana"}}}));
  EXPECT_EQ(
      by_key(read_all(summed), true),
      (seqs{{"u1", {"5", "11", "14", "19"}}, {"u2", {"6", "11", "15"}}, {"u3", {"5", "11"}}}));
  // Through the repartition topic: the order of one word's updates across
  // users may differ, but each count appears once, 1..n.
  auto words_seen = by_key(read_all(per_word), true);
  EXPECT_EQ(words_seen, (seqs{{"apple", {"1", "2", "3", "4"}},
                              {"banana", {"1", "2"}},
                              {"cherry", {"1"}},
                              {"fig", {"1"}},
                              {"kiwi", {"1"}}}));
  ASSERT_TRUE(app.stop());
}

}  // namespace
}  // namespace runnel::stream::it
