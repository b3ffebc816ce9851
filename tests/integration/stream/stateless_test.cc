// Stateless operators against a real broker: filter, filter_not, map,
// map_values, flat_map, flat_map_values, select_key, peek, for_each, split,
// merge, to with explicit serdes and repartition — keys, values and
// timestamps of every output record.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "broker_fixture.h"

namespace runnel::stream::it {
namespace {

class stateless : public broker_fixture {};

const int64_t t0 = base_time();

// (key, value, timestamp) of an output record, comparable as a multiset.
using kvt = std::tuple<std::string, std::string, int64_t>;

std::vector<kvt> kvts(const std::vector<output>& out) {
  std::vector<kvt> r;
  for (const auto& o : out)
    r.emplace_back(o.key.value_or("<null>"), o.value.value_or("<null>"), o.timestamp);
  std::sort(r.begin(), r.end());
  return r;
}

std::vector<kvt> sorted(std::vector<kvt> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream in(s);
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

std::string int64_bytes(int64_t v) {
  std::string b;
  serdes::int64().serialize(v, b);
  return b;
}

TEST_F(stateless, every_operator_writes_the_expected_records) {
  std::string in = unique("in");
  create_topic(in, 2);
  std::map<std::string, std::string> out;
  for (const char* name :
       {"filter", "filter_not", "map_values", "map", "flat_map", "flat_map_values", "select_key",
        "split0", "split1", "split_rest", "merge", "explicit", "repartition"}) {
    out[name] = unique(name);
    create_topic(out[name]);
  }

  // Input: 12 records over 4 keys on two partitions; even ones "keep".
  struct rec {
    std::string k, v;
    int64_t ts;
  };
  std::vector<rec> recs;
  std::vector<input> inputs;
  for (int i = 0; i < 12; ++i) {
    rec r{fmt::format("k{}", i % 4),
          i % 2 == 0 ? fmt::format("keep w{} x{}", i, i) : fmt::format("drop w{}", i),
          t0 + i * 1000};
    recs.push_back(r);
    inputs.push_back({in, r.k, r.v, r.ts, i % 2});
  }

  builder b;
  auto src = b.stream<std::string, std::string>(in);
  auto keep = [](const std::string&, const std::string& v) { return v.rfind("keep", 0) == 0; };
  src.filter(keep).to(out["filter"]);
  src.filter_not(keep).to(out["filter_not"]);
  src.map_values([](const std::string& v) { return static_cast<int64_t>(v.size()); })
      .to(out["map_values"]);
  src.map([](const std::string& k, const std::string& v) { return kv(v, k); }).to(out["map"]);
  src.flat_map([](const std::string& k, const std::string& v) {
       return std::vector<key_value<std::string, std::string>>{kv(k + "-a", v), kv(k + "-b", v)};
     })
      .to(out["flat_map"]);
  src.flat_map_values([](const std::string& v) { return words(v); }).to(out["flat_map_values"]);
  src.select_key([](const std::string&, const std::string& v) { return words(v)[1]; })
      .to(out["select_key"]);
  std::atomic<int> peeked{0};
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> seen;
  src.peek([&](const std::string&, const std::string&) { ++peeked; })
      .for_each([&](const std::string& k, const std::string& v) {
        std::lock_guard lock(mu);
        seen.emplace_back(k, v);
      });
  // split: a named branch, a branch handed to a function (not in the map),
  // and the default branch, named by number.
  std::optional<stream<std::string, std::string>> second;
  auto branches =
      src.split("part-")
          .branch([](const std::string& k, const std::string&) { return k == "k0"; }, "zero")
          .branch([](const std::string& k, const std::string&) { return k == "k0" || k == "k1"; },
                  [&](stream<std::string, std::string> s) {
                    s.to(out["split1"]);
                    second = s;
                  })
          .default_branch();
  EXPECT_EQ(branches.size(), 2u);
  ASSERT_TRUE(branches.count("part-zero") && branches.count("part-0") && second);
  branches.at("part-zero").to(out["split0"]);
  branches.at("part-0").to(out["split_rest"]);
  branches.at("part-zero").merge(*second).to(out["merge"]);
  // Explicit serdes: key upper-cased, value as decimal text.
  serde<std::string> upper = serdes::string();
  upper.serialize = [](const std::string& v, std::string& o) {
    for (char c : v) o.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  };
  serde<int64_t> decimal;
  decimal.serialize = [](const int64_t& v, std::string& o) { o += std::to_string(v); };
  decimal.deserialize = [](std::string_view s, std::string*) -> std::optional<int64_t> {
    return std::stoll(std::string(s));
  };
  decimal.name = "decimal";
  src.map_values([](const std::string& v) { return static_cast<int64_t>(v.size()); })
      .to(out["explicit"], produced<std::string, int64_t>{upper, decimal});
  src.select_key([](const std::string&, const std::string& v) { return words(v)[0]; })
      .repartition({}, "by-first-word")
      .map_values([](const std::string& v) { return v + "|re"; })
      .to(out["repartition"]);

  std::string id = unique("app");
  running_app app(b.build(), config(id));
  produce(inputs);
  wait_caught_up(id, {in});

  std::vector<kvt> filter, filter_not, map_values, map, flat_map, flat_map_values, select_key,
      split0, split1, split_rest, explicit_serdes, repartition;
  for (const auto& r : recs) {
    bool kept = r.v.rfind("keep", 0) == 0;
    (kept ? filter : filter_not).emplace_back(r.k, r.v, r.ts);
    map_values.emplace_back(r.k, int64_bytes(static_cast<int64_t>(r.v.size())), r.ts);
    map.emplace_back(r.v, r.k, r.ts);
    flat_map.emplace_back(r.k + "-a", r.v, r.ts);
    flat_map.emplace_back(r.k + "-b", r.v, r.ts);
    for (const auto& w : words(r.v)) flat_map_values.emplace_back(r.k, w, r.ts);
    select_key.emplace_back(words(r.v)[1], r.v, r.ts);
    if (r.k == "k0")
      split0.emplace_back(r.k, r.v, r.ts);
    else if (r.k == "k1")
      split1.emplace_back(r.k, r.v, r.ts);
    else
      split_rest.emplace_back(r.k, r.v, r.ts);
    std::string up = r.k;
    for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    explicit_serdes.emplace_back(up, std::to_string(r.v.size()), r.ts);
    repartition.emplace_back(words(r.v)[0], r.v + "|re", r.ts);
  }
  auto merged = split0;
  merged.insert(merged.end(), split1.begin(), split1.end());

  EXPECT_EQ(kvts(read_all(out["filter"])), sorted(filter));
  EXPECT_EQ(kvts(read_all(out["filter_not"])), sorted(filter_not));
  EXPECT_EQ(kvts(read_all(out["map_values"])), sorted(map_values));
  EXPECT_EQ(kvts(read_all(out["map"])), sorted(map));
  EXPECT_EQ(kvts(read_all(out["flat_map"])), sorted(flat_map));
  EXPECT_EQ(kvts(read_all(out["flat_map_values"])), sorted(flat_map_values));
  EXPECT_EQ(kvts(read_all(out["select_key"])), sorted(select_key));
  EXPECT_EQ(kvts(read_all(out["split0"])), sorted(split0));
  EXPECT_EQ(kvts(read_all(out["split1"])), sorted(split1));
  EXPECT_EQ(kvts(read_all(out["split_rest"])), sorted(split_rest));
  EXPECT_EQ(kvts(read_all(out["merge"])), sorted(merged));
  EXPECT_EQ(kvts(read_all(out["explicit"])), sorted(explicit_serdes));
  EXPECT_EQ(kvts(read_all(out["repartition"])), sorted(repartition));

  // The repartition topic is the app's own, has the input's partitions, and
  // holds each key in one partition only.
  std::string internal = id + "-by-first-word-repartition";
  auto info = admin().describe_topic(internal);
  ASSERT_TRUE(info) << internal << ": " << info.error().message;
  EXPECT_EQ(info.value().partitions.size(), 2u);
  std::map<std::string, std::set<int32_t>> partitions_of;
  for (const auto& o : read_all(internal)) partitions_of[o.key.value_or("")].insert(o.partition);
  EXPECT_EQ(partitions_of.size(), 2u);  // "keep" and "drop"
  for (const auto& [k, ps] : partitions_of) EXPECT_EQ(ps.size(), 1u) << k;

  ASSERT_TRUE(app.stop());
  EXPECT_EQ(peeked.load(), 12);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 12u);
  std::sort(seen.begin(), seen.end());
  std::vector<std::pair<std::string, std::string>> want;
  for (const auto& r : recs) want.emplace_back(r.k, r.v);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);
}

}  // namespace
}  // namespace runnel::stream::it
